package org.virtbackup.itests.support;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs host programs (virsh, qemu-img, qemu-io) with argument arrays and checks their exit code. */
public final class Cmd {

    private Cmd() {
    }

    public record Result(int exitCode, String output) {
    }

    public static Result run(String... cmd) {
        return runIn(null, cmd);
    }

    /** Runs in a working directory ({@code null}: this process's). */
    public static Result runIn(File dir, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + String.join(" ", cmd));
        }
    }

    /** Runs and fails the test with the program's output unless it exits 0. */
    public static String ok(String... cmd) {
        return okIn(null, cmd);
    }

    /** {@link #ok} in a working directory. */
    public static String okIn(File dir, String... cmd) {
        Result r = runIn(dir, cmd);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }
}
