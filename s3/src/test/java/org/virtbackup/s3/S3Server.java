package org.virtbackup.s3;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server on loopback for the tests: s3proxy (Maven Central, copied into
 * {@code target/s3proxy} by this module's build) with its filesystem backend in a directory of
 * the test, started as a process of its own and stopped by its pid.
 */
final class S3Server implements AutoCloseable {

    static final String ACCESS = "virt-backup-test";
    static final String SECRET = "s3cr3t-" + Long.toHexString(System.nanoTime());

    private final Process process;
    private final int port;

    private S3Server(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static S3Server start(Path dir) throws Exception {
        String jar = System.getProperty("s3proxy.jar", "");
        if (jar.isEmpty() || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("s3proxy is missing (" + jar + "): run the tests through Maven "
                    + "(mvn -pl s3 test), which copies it from Maven Central into s3/target/s3proxy");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = Files.createDirectories(dir.resolve("s3-data"));
        Path conf = dir.resolve("s3proxy.conf");
        Files.writeString(Files.createFile(conf, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                String.join("\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + ACCESS,
                        "s3proxy.credential=" + SECRET,
                        "jclouds.provider=filesystem-nio2",
                        "jclouds.identity=unused",
                        "jclouds.credential=unused",
                        "jclouds.filesystem.basedir=" + data, ""));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", jar, "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        S3Server server = new S3Server(p, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!server.answers()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IllegalStateException("s3proxy did not start on port " + port + ": see " + dir.resolve("s3proxy.log"));
            }
            Thread.sleep(100);
        }
        return server;
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            return c.getResponseCode() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The configuration of an endpoint component for this server. */
    Map<String, Object> config(String... more) {
        Map<String, Object> c = new HashMap<>();
        c.put("name", "test");
        c.put("endpoint", endpoint());
        c.put(".access.key", ACCESS);
        c.put(".secret.key", SECRET);
        c.put("part.size.mib", 5);
        for (int i = 0; i + 1 < more.length; i += 2) {
            c.put(more[i], more[i + 1]);
        }
        return c;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
