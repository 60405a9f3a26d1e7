package org.virtbackup.bench;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external programs with an argument array (no shell), output captured. */
public final class Cmd {

    private Cmd() {
    }

    /** Exit code and combined stdout/stderr of a finished command, and how long it took. */
    public record Outcome(List<String> command, int exitCode, String output, long nanos) {

        public Outcome requireSuccess() {
            if (exitCode != 0) {
                throw new CommandFailedException(this);
            }
            return this;
        }

        public double seconds() {
            return nanos / 1e9;
        }
    }

    public static final class CommandFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommandFailedException(Outcome o) {
            super("'" + String.join(" ", o.command()) + "' exited with " + o.exitCode()
                    + (o.output().isBlank() ? "" : ": " + tail(o.output().strip(), 2000)));
        }
    }

    /** Runs it and fails unless it exits 0; returns its output. */
    public static String run(String... command) {
        return exec(List.of(command)).requireSuccess().output();
    }

    /** Runs it, whatever its exit code; the time covers start to exit (wall clock). */
    public static Outcome exec(List<String> command) {
        return exec(command, null, 0);
    }

    /**
     * Runs it with {@code input} on stdin ({@code null}: /dev/null), killed after
     * {@code timeoutSeconds} (0: no limit; a killed command reports exit code -1).
     */
    public static Outcome exec(List<String> command, String input, long timeoutSeconds) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        long start = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            if (input != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // it exited without reading: its exit code tells
                }
            }
            // A reader thread so that a timeout also works when the command keeps its pipe open.
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // process killed
                }
            }, "cmd-output");
            reader.setDaemon(true);
            reader.start();
            boolean exited = true;
            if (timeoutSeconds > 0) {
                exited = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            } else {
                p.waitFor();
            }
            long nanos = System.nanoTime() - start;
            if (!exited) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            reader.join(10_000);
            String text = out.toString(); // join() above: the reader's writes are visible
            return new Outcome(command, exited ? p.exitValue() : -1, text, nanos);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }
}
