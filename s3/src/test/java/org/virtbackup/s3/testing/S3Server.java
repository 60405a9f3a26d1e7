package org.virtbackup.s3.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server on loopback for the tests: s3proxy (Maven Central, copied into
 * {@code target/s3proxy} by the build of the s3 and itests modules, its path in
 * {@code virtbackup.s3proxy.jar}) with its filesystem backend, started as a process of its own
 * and stopped by its pid. A bucket is a directory of the backend: the buckets asked for are made
 * before it starts. Shared as this module's test jar; the itests module unpacks it into its probe.
 */
public final class S3Server implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path data;

    private S3Server(Process process, int port, Path data) {
        this.process = process;
        this.port = port;
        this.data = data;
    }

    /** Starts s3proxy on the port with these credentials, its objects under {@code dir/s3-data}. */
    public static S3Server start(Path dir, int port, String access, String secret, String... buckets) throws Exception {
        String jar = System.getProperty("virtbackup.s3proxy.jar", "");
        if (jar.isEmpty() || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("s3proxy is missing ('" + jar + "'): run the tests through Maven "
                    + "(mvn verify), which copies it from Maven Central into target/s3proxy");
        }
        Path data = Files.createDirectories(dir.resolve("s3-data"));
        for (String bucket : buckets) {
            Files.createDirectories(data.resolve(bucket));
        }
        Path conf = dir.resolve("s3proxy.conf");
        Files.deleteIfExists(conf);
        Files.writeString(Files.createFile(conf, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                String.join("\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + access,
                        "s3proxy.credential=" + secret,
                        "jclouds.provider=filesystem-nio2",
                        "jclouds.identity=unused",
                        "jclouds.credential=unused",
                        "jclouds.filesystem.basedir=" + data, ""));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar, "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        S3Server server = new S3Server(p, port, data);
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

    /** A port nobody listens on now. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Where the backend keeps a bucket's objects, one file per object under its key. */
    public Path bucket(String name) {
        return data.resolve(name);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
