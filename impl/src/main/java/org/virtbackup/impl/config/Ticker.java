package org.virtbackup.impl.config;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A daemon thread of its own that runs tasks again and again, each a fixed delay after its last
 * run ended, whatever a run throws. A {@link ScheduledExecutorService} never runs a periodic task
 * again once it has thrown, and tells nobody; here a throw goes to the caller's reporter and the
 * task runs at its next turn. Errors too: JNA throws them ("Invalid memory access"), and a bundle
 * being replaced throws LinkageErrors, neither of which should end a sweep or a check for good.
 */
public final class Ticker implements AutoCloseable {

    private final ScheduledThreadPoolExecutor executor;

    /** @param threadName what thread dumps call it */
    public Ticker(String threadName) {
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true); // never what keeps a JVM from exiting
            return t;
        });
        executor.setRemoveOnCancelPolicy(true); // a task done leaves the queue at once, not at its next turn
    }

    /**
     * Runs the task after {@code first}, then {@code delay} after each run ends, until closed.
     *
     * @param onFailure told what a run threw, on this thread; it should not throw itself
     */
    public void repeat(Duration first, Duration delay, Runnable task, Consumer<Throwable> onFailure) {
        repeatUntilDone(first, delay, () -> {
            task.run();
            return false;
        }, onFailure);
    }

    /** As {@link #repeat}, until a run returns true; a run that throws is not done. */
    public void repeatUntilDone(Duration first, Duration delay, BooleanSupplier doneAfterRun,
            Consumer<Throwable> onFailure) {
        new Repeated(doneAfterRun, onFailure).schedule(first, delay);
    }

    /** The tasks still scheduled: one per task not done. */
    int scheduled() {
        return executor.getQueue().size();
    }

    /** Interrupts the run under way, if any; no run starts after this. */
    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** One task: its runs, and its end once it is done. */
    private final class Repeated implements Runnable {

        private final BooleanSupplier doneAfterRun;
        private final Consumer<Throwable> onFailure;
        // Both volatile: a first run that ends before schedule() has its future, or the other way
        // round, is still cancelled by whichever of the two comes second.
        private volatile boolean done;
        private volatile Future<?> future;

        Repeated(BooleanSupplier doneAfterRun, Consumer<Throwable> onFailure) {
            this.doneAfterRun = doneAfterRun;
            this.onFailure = onFailure;
        }

        void schedule(Duration first, Duration delay) {
            future = executor.scheduleWithFixedDelay(this, first.toNanos(), delay.toNanos(), TimeUnit.NANOSECONDS);
            if (done) {
                future.cancel(false);
            }
        }

        @Override
        public void run() {
            if (done) {
                return; // ended before its future was known: the cancel is on its way
            }
            try {
                done = doneAfterRun.getAsBoolean();
            } catch (Throwable t) {
                if (t instanceof InterruptedException) {
                    // Thrown undeclared, it cleared the flag: set it again, so that what interrupted
                    // the thread (close) is not lost on it.
                    Thread.currentThread().interrupt();
                }
                try {
                    onFailure.accept(t);
                } catch (Throwable again) {
                    // A reporter that throws (a log line when memory is short) must not end the task either.
                }
            }
            Future<?> f = future;
            if (done && f != null) {
                f.cancel(false);
            }
        }
    }
}
