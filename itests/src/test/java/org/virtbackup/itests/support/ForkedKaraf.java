package org.virtbackup.itests.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Our distribution, unpacked and run as its own JVM ({@code bin/karaf daemon}, which execs
 * java: the process started is Karaf's JVM), so a test can kill it with SIGKILL, by the pid it
 * started, and start it again on the same data. It is driven as an operator drives it, over SSH
 * with the backup:* commands, with a key made for it, on ports found free.
 *
 * <p>Started with {@code virtbackup.fault.directory} set: the service's fault points are then
 * enabled, and {@link #arm} makes one pause, for {@link #killAt} to kill the JVM there.
 */
public final class ForkedKaraf implements AutoCloseable {

    private static final Duration START = Duration.ofMinutes(3);

    private final Path home;
    private final Path faults;
    private final Path key;
    private final int sshPort;
    private Process process;
    private int starts;

    private ForkedKaraf(Path home, Path faults, Path key, int sshPort) {
        this.home = home;
        this.faults = faults;
        this.key = key;
        this.sshPort = sshPort;
    }

    /**
     * Unpacks the distribution built by this reactor into {@code dir} (emptied first) with these
     * settings of {@code etc/org.virtbackup.cfg}.
     */
    public static ForkedKaraf unpack(Path dir, Map<String, String> settings) throws IOException {
        Path tarball = distribution();
        Path oldPid = dir.resolve("karaf/karaf.pid");
        if (Files.exists(oldPid)) {
            long pid = Long.parseLong(Files.readString(oldPid).strip());
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                throw new AssertionError("a Karaf of an earlier run still runs in " + dir + " (pid " + pid + "): stop it first");
            }
        }
        Cmd.ok("rm", "-rf", dir.toString());
        Path home = Files.createDirectories(dir.resolve("karaf"));
        // QEMU's user passes through to the target and scratch directories below it.
        Cmd.ok("chmod", "0711", dir.toString(), home.toString());
        Cmd.ok("tar", "xzf", tarball.toString(), "-C", home.toString(), "--strip-components=1");
        Path faults = Files.createDirectories(dir.resolve("faults"));
        Path key = home.resolve("etc/fault-suite.key");
        Cmd.ok("ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-m", "PEM", "-N", "", "-C", "fault-suite", "-f", key.toString());
        String pub = Files.readString(Path.of(key + ".pub")).split(" ")[1];
        // As scripts/run.sh does: the administrator's key joins the admin group the file defines.
        Files.writeString(home.resolve("etc/keys.properties"), "karaf=" + pub + ",_g_:admingroup\n",
                StandardOpenOption.APPEND);
        int ssh = freePort();
        put(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort", Integer.toString(ssh));
        put(home.resolve("etc/org.apache.karaf.management.cfg"), "rmiRegistryPort", Integer.toString(freePort()));
        put(home.resolve("etc/org.apache.karaf.management.cfg"), "rmiServerPort", Integer.toString(freePort()));
        StringBuilder cfg = new StringBuilder();
        settings.forEach((k, v) -> cfg.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(home.resolve("etc/org.virtbackup.cfg"), cfg);
        return new ForkedKaraf(home, faults, key, ssh);
    }

    /** The distribution of this build's version (the pom sets it): an older tarball left in target/ is not it. */
    private static Path distribution() {
        Path target = Path.of(System.getProperty("virtbackup.distribution.dir", "../distribution/target"));
        Path tarball = target.resolve("virt-backup-distribution-" + System.getProperty("virtbackup.version", "") + ".tar.gz");
        if (!Files.isRegularFile(tarball)) {
            throw new AssertionError("no " + tarball.toAbsolutePath() + ": build it first (mvn install, or scripts/test.sh)");
        }
        return tarball;
    }

    /** Sets {@code key = value} in a Karaf .cfg file, replacing the line that sets it. */
    private static void put(Path cfg, String key, String value) throws IOException {
        List<String> lines = Files.readAllLines(cfg);
        List<String> out = lines.stream().map(l -> l.matches("\\s*" + key + "\\s*=.*") ? key + " = " + value : l).toList();
        Files.write(cfg, out.contains(key + " = " + value) ? out
                : Stream.concat(out.stream(), Stream.of(key + " = " + value)).toList());
    }

    public Path home() {
        return home;
    }

    /** Sets (or with {@code null} removes) a setting of {@code etc/org.virtbackup.cfg}; for a Karaf not running. */
    public void configure(String key, String value) throws IOException {
        Path cfg = home.resolve("etc/org.virtbackup.cfg");
        List<String> lines = new ArrayList<>(Files.readAllLines(cfg).stream()
                .filter(l -> !l.matches("\\s*" + Pattern.quote(key) + "\\s*=.*")).toList());
        if (value != null) {
            lines.add(key + " = " + value);
        }
        Files.write(cfg, lines);
    }

    /** Starts Karaf and waits until backup:list answers (its catalogue loaded and recovered). */
    public void start() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running, pid " + process.pid());
        }
        Files.deleteIfExists(faults.resolve("armed"));
        Files.deleteIfExists(faults.resolve("reached"));
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/karaf").toString(), "daemon")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("console.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("EXTRA_JAVA_OPTS", "-Dvirtbackup.fault.directory=" + faults);
        process = pb.start();
        Process started = process;
        // Should this JVM end first (a failsafe timeout), the Karaf it started ends with it.
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly));
        starts++;
        long deadline = System.nanoTime() + START.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("Karaf exited with " + process.exitValue() + " while starting; see "
                        + home.resolve("console.log") + " and " + log());
            }
            Cmd.Result r = client("backup:list");
            if (r.exitCode() == 0 && !failed(r.output())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("backup:list did not answer within " + START.toSeconds() + " s of start "
                        + starts + ": " + r.output() + "\nsee " + log());
            }
            Thread.sleep(1000);
        }
    }

    public Path log() {
        return home.resolve("data/log/karaf.log");
    }

    /** Runs a shell command as the administrator; fails the test with its output if it fails. */
    public String run(String command) {
        Cmd.Result r = client(command);
        if (r.exitCode() != 0 || failed(r.output())) {
            throw new AssertionError(command + " failed (exit " + r.exitCode() + "):\n" + r.output());
        }
        return r.output().replace("\r", "");
    }

    /** Runs a shell command that is expected to fail; returns its output. */
    public String runFailing(String command) {
        Cmd.Result r = client(command);
        if (r.exitCode() == 0 && !failed(r.output())) {
            throw new AssertionError(command + " was expected to fail, and printed:\n" + r.output());
        }
        return r.output().replace("\r", "");
    }

    /** Runs a shell command that may succeed or fail; returns its output. */
    public String attempt(String command) {
        return client(command).output().replace("\r", "");
    }

    /** Starts a shell command in the background (it dies with the JVM it talks to). */
    public Process runInBackground(String command) throws IOException {
        return ssh(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static boolean failed(String output) {
        return output.contains("Error executing command") || output.contains("Command not found");
    }

    private Cmd.Result client(String command) {
        try {
            Path output = Files.createTempFile(faults, "ssh", ".out");
            Process p = ssh(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("no answer within 10 minutes to " + command + "; see " + log());
            }
            p.getOutputStream().close();
            byte[] out = Files.readAllBytes(output);
            Files.delete(output);
            // ssh says so on stderr when Karaf closes the channel; the command's output is the rest.
            String text = new String(out, StandardCharsets.UTF_8).replaceAll("\\u001B\\[[0-9;]*m", "")
                    .replace("Connection to 127.0.0.1 closed by remote host.", "");
            return new Cmd.Result(p.exitValue(), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command);
        }
    }

    // OpenSSH's client, not bin/client: a tenth of a second a command instead of a JVM start.
    private ProcessBuilder ssh(String command) {
        return new ProcessBuilder("ssh", "-p", Integer.toString(sshPort), "-i", key.toString(), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "karaf@127.0.0.1", command); // stdin stays an open pipe: at EOF, a --wait command would be cancelled
    }

    /** Arms a fault point: the next time the service reaches that step, it pauses there. */
    public void arm(String step) throws IOException {
        Files.writeString(faults.resolve("armed"), step + "\n");
    }

    /** Waits until the armed step is reached, then kills the JVM with SIGKILL, by the pid it started. */
    public void killAt(String step, Duration within) throws Exception {
        awaitReached(step, within);
        kill();
    }

    /** Waits until the armed step is reached: the service's thread pauses there for good. */
    public void awaitReached(String step, Duration within) throws Exception {
        awaitFile(faults.resolve("reached"), within, text -> text.strip().equals(step),
                "fault point " + step + " was not reached");
    }

    /** Waits until the condition holds, then kills the JVM with SIGKILL. */
    public void killWhen(String what, Duration within, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + within.toSeconds() + " s; see " + log());
            }
            Thread.sleep(20);
        }
        kill();
    }

    /** SIGKILL to the JVM this started (Process.destroyForcibly sends SIGKILL on Linux). */
    public void kill() throws InterruptedException {
        if (process == null) {
            throw new IllegalStateException("not started");
        }
        long pid = process.pid();
        Cmd.ok("kill", "-KILL", Long.toString(pid));
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("Karaf (pid " + pid + ") still alive 60 s after SIGKILL");
        }
    }

    private void awaitFile(Path file, Duration within, Predicate<String> ok, String what) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            if (Files.exists(file) && ok.test(Files.readString(file))) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError(what + ": Karaf exited with " + process.exitValue() + "; see " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within " + within.toSeconds() + " s; see " + log());
            }
            Thread.sleep(50);
        }
    }

    /** Stops Karaf if it runs: SIGTERM (Karaf's shutdown hook stops the bundles), SIGKILL after 60 s. */
    @Override
    public void close() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
