package org.virtbackup.impl.provider.managed;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that run one provider instance's jobs. Stopping interrupts them and waits until
 * they have returned: a job thread caught between starting a copy and journaling it would
 * otherwise journal it after the next instance has read the journal, and that instance would
 * start a second copy into the same image (or, as {@code RestartIT} saw, find a journal written
 * after the service was stopped).
 */
final class JobThreads implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(JobThreads.class);

    private final ExecutorService threads;
    private final Duration stopWait;

    /** @param stopWait how long {@link #stop} waits for a job's thread to return */
    JobThreads(String name, Duration stopWait) {
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.stopWait = stopWait;
    }

    /** Runs a job in a thread of its own. */
    void start(JournaledJob job) {
        threads.execute(job::runToEnd);
    }

    @Override
    public void execute(Runnable task) {
        threads.execute(task);
    }

    /**
     * Interrupts the jobs' threads (each leaves its copy running and its journal as it is) and
     * returns once they have, or after the wait; what runs on after it is logged.
     */
    void stop() {
        threads.shutdownNow();
        try {
            if (!threads.awaitTermination(stopWait.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("A job thread still runs {} s after it was told to stop: it may still write its journal",
                        stopWait.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
