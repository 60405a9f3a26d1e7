package org.virtbackup.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** Periodic tasks that no throw ends, on a daemon thread of their own. */
class TickerTest {

    private static final Duration SOON = Duration.ofMillis(1);

    @Test
    void aRunThatThrowsAnErrorOrARuntimeExceptionIsReportedAndTheTaskRunsAgain() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        List<Throwable> reported = new CopyOnWriteArrayList<>();
        try (Ticker ticker = new Ticker("test-ticker")) {
            ticker.repeat(SOON, SOON, () -> {
                int n = runs.incrementAndGet();
                third.countDown();
                if (n == 1) {
                    throw new UnsatisfiedLinkError("what JNA throws"); // an Error
                }
                if (n == 2) {
                    throw new IllegalStateException("libvirtd away");
                }
            }, reported::add);
            assertTrue(third.await(10, TimeUnit.SECONDS), "runs: " + runs.get());
        }
        assertInstanceOf(UnsatisfiedLinkError.class, reported.get(0));
        assertInstanceOf(IllegalStateException.class, reported.get(1));
        assertEquals(2, reported.size(), "the runs that did not throw are not reported");
    }

    @Test
    void itsThreadIsADaemonOfTheGivenName() throws Exception {
        AtomicReference<Thread> ran = new AtomicReference<>();
        CountDownLatch once = new CountDownLatch(1);
        try (Ticker ticker = new Ticker("virt-backup-test")) {
            ticker.repeat(Duration.ZERO, SOON, () -> {
                ran.compareAndSet(null, Thread.currentThread());
                once.countDown();
            }, e -> { });
            assertTrue(once.await(10, TimeUnit.SECONDS));
        }
        assertEquals("virt-backup-test", ran.get().getName());
        assertTrue(ran.get().isDaemon());
    }

    @Test
    void closeInterruptsTheRunUnderWayAndNoneStartsAfter() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicReference<Thread> thread = new AtomicReference<>();
        Ticker ticker = new Ticker("test-ticker");
        ticker.repeat(Duration.ZERO, SOON, () -> {
            runs.incrementAndGet();
            thread.set(Thread.currentThread());
            running.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.countDown();
                Thread.currentThread().interrupt();
            }
        }, e -> { });
        assertTrue(running.await(10, TimeUnit.SECONDS));
        ticker.close();
        assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the run under way was interrupted");
        thread.get().join(10_000);
        assertFalse(thread.get().isAlive(), "the thread ended");
        assertEquals(1, runs.get());
    }

    @Test
    void anInterruptedExceptionThrownUndeclaredLeavesTheThreadInterrupted() throws Exception {
        AtomicBoolean interruptedWhenReported = new AtomicBoolean();
        CountDownLatch again = new CountDownLatch(2);
        try (Ticker ticker = new Ticker("test-ticker")) {
            ticker.repeat(SOON, SOON, () -> {
                again.countDown();
                if (again.getCount() == 1) {
                    throwUndeclared(new InterruptedException("as close() would cause"));
                }
            }, e -> interruptedWhenReported.set(e instanceof InterruptedException && Thread.currentThread().isInterrupted()));
            // Not closed, so the executor clears the stray interrupt before the next run.
            assertTrue(again.await(10, TimeUnit.SECONDS), "runs again while the ticker is open");
        }
        assertTrue(interruptedWhenReported.get(), "the interrupt the exception carried stands");
    }

    @Test
    void aTaskDoneStopsRunningEvenWhenItsFirstRunEndsBeforeItsScheduleReturns() throws Exception {
        for (int i = 0; i < 50; i++) { // the first run races the caller: now one wins, now the other
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch later = new CountDownLatch(1);
            try (Ticker ticker = new Ticker("test-ticker")) {
                ticker.repeatUntilDone(Duration.ZERO, SOON, () -> runs.incrementAndGet() == 1, e -> { });
                ticker.repeat(Duration.ofMillis(20), SOON, later::countDown, e -> { }); // runs after it would have
                assertTrue(later.await(10, TimeUnit.SECONDS));
                assertEquals(1, runs.get());
                int most = 0;
                for (int j = 0; j < 20; j++) { // the other task is out of the queue while it runs: look a few times
                    most = Math.max(most, ticker.scheduled());
                    Thread.sleep(2);
                }
                assertEquals(1, most, "only the other task is left: the one done was cancelled");
            }
        }
    }

    @Test
    void aTaskThatThrowsIsNotDone() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        try (Ticker ticker = new Ticker("test-ticker")) {
            ticker.repeatUntilDone(SOON, SOON, () -> {
                if (runs.incrementAndGet() == 1) {
                    throw new IllegalStateException("cannot say now");
                }
                done.countDown();
                return true;
            }, e -> { });
            assertTrue(done.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 100 && ticker.scheduled() > 0; i++) {
                Thread.sleep(10); // the cancel comes right after the run's return
            }
            assertEquals(0, ticker.scheduled(), "done, it is no longer scheduled");
        }
        assertEquals(2, runs.get());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUndeclared(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void aReporterThatThrowsDoesNotEndTheTask() throws Exception {
        CountDownLatch thrice = new CountDownLatch(3);
        try (Ticker ticker = new Ticker("test-ticker")) {
            ticker.repeat(SOON, SOON, () -> {
                thrice.countDown();
                throw new OutOfMemoryError("short of memory");
            }, e -> {
                throw new OutOfMemoryError("short of memory for the log line too");
            });
            assertTrue(thrice.await(10, TimeUnit.SECONDS), "runs on after its reporter threw");
        }
    }
}
