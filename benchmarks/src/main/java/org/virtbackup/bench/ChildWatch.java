package org.virtbackup.bench;

import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notices when a child process of this JVM whose command is {@code program} with argument
 * {@code argument} (e.g. qemu-img convert) starts and ends, by polling the JVM's children every
 * few milliseconds: the service starts its copies itself, so this times them from outside.
 * Used only for the optional phase breakdown; the polling costs a little CPU.
 */
final class ChildWatch implements AutoCloseable {

    private static final long POLL_MILLIS = 3;

    private final String program;
    private final String argument;
    private final Thread thread;
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong exited = new AtomicLong();
    private volatile boolean stop;

    ChildWatch(String program, String argument) {
        this.program = program;
        this.argument = argument;
        this.thread = new Thread(this::poll, "child-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** nanoTime when the process was first seen, if it was. */
    Optional<Long> started() {
        long v = seen.get();
        return v == 0 ? Optional.empty() : Optional.of(v);
    }

    /** nanoTime when it exited, if it did. */
    Optional<Long> ended() {
        long v = exited.get();
        return v == 0 ? Optional.empty() : Optional.of(v);
    }

    private void poll() {
        while (!stop) {
            Optional<ProcessHandle> found = ProcessHandle.current().children().filter(this::matches).findFirst();
            if (found.isPresent()) {
                seen.set(System.nanoTime());
                found.get().onExit().thenRun(() -> exited.set(System.nanoTime()));
                return;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private boolean matches(ProcessHandle h) {
        ProcessHandle.Info info = h.info();
        boolean prog = info.command().map(c -> c.endsWith("/" + program) || c.equals(program)).orElse(false);
        boolean arg = info.arguments().map(a -> Arrays.asList(a).contains(argument)).orElse(false);
        return prog && arg;
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
    }
}
