package org.virtbackup.impl.provider.managed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** A stopped instance's job threads have returned before the next instance reads their journals. */
class JobThreadsTest {

    /** What starting a process is to a job: a step an interrupt does not cut short. */
    private static void uninterruptibly(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        CountDownLatch never = new CountDownLatch(1);
        for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
            try {
                never.await(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                // carried on, as a process start is
            }
        }
    }

    @Test
    void stopReturnsAfterAJobBusyStartingACopyHasJournaledIt() throws Exception {
        JobThreads threads = new JobThreads("test", Duration.ofSeconds(30));
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger journaled = new AtomicInteger();
        threads.execute(() -> {
            started.countDown();
            uninterruptibly(300);
            journaled.incrementAndGet();
        });
        started.await();
        threads.stop();
        assertEquals(1, journaled.get(), "the journal was written before stop returned");
    }

    @Test
    void aStoppedInstanceRunsNoNewJob() {
        JobThreads threads = new JobThreads("test", Duration.ofSeconds(1));
        threads.stop();
        assertThrows(RejectedExecutionException.class, () -> threads.execute(() -> { }));
    }

    @Test
    void stopGivesUpOnAThreadThatDoesNotReturn() throws Exception {
        JobThreads threads = new JobThreads("test", Duration.ofMillis(200));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        threads.execute(() -> {
            started.countDown();
            while (release.getCount() > 0) {
                uninterruptibly(10);
            }
        });
        started.await();
        long begin = System.nanoTime();
        threads.stop();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        release.countDown();
        assertTrue(waited >= 200 && waited < 20_000, "stop waited " + waited + " ms for a thread that stays");
    }
}
