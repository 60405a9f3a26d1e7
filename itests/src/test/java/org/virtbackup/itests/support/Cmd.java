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
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
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
        Result r = run(cmd);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " exited " + r.exitCode() + ":\n" + r.output());
        }
        return r.output();
    }
}
