package org.virtbackup.bench;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Undo actions, run last-registered first by {@link #close()} (use in try-with-resources) and
 * also by a JVM shutdown hook, so that ^C or SIGTERM during a run still removes the guest and
 * the images. Each action runs once; a failing action is reported and the others still run.
 */
public final class Cleanup implements AutoCloseable {

    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    private record Step(String what, Action action) {
    }

    private final Deque<Step> steps = new ArrayDeque<>();
    private final Thread hook = new Thread(this::runAll, "bench-cleanup");
    private boolean hooked;
    private int failures;

    public Cleanup() {
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            hooked = true;
        } catch (IllegalStateException e) {
            // already shutting down: close() still runs the steps
        }
    }

    /** Registers an undo action; {@code what} names it in error messages. */
    public synchronized void add(String what, Action action) {
        steps.push(new Step(what, action));
    }

    @Override
    public void close() {
        runAll();
        if (hooked) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down and the hook runs (or ran) the same steps
            }
        }
    }

    /** How many undo actions failed so far (something may be left behind). */
    public synchronized int failures() {
        return failures;
    }

    private synchronized void runAll() {
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.action().run();
            } catch (Exception | LinkageError e) {
                // LinkageError: e.g. a class missing from a jar replaced during the run
                failures++;
                System.err.println("bench: cleanup: " + s.what() + " failed: " + e.getMessage());
            }
        }
    }
}
