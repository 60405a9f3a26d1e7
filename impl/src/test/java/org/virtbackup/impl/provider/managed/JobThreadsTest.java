package org.virtbackup.impl.provider.managed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.JobState;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;

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
    void stopInterruptsAJobWaitingForItsCopy() throws Exception {
        JobThreads threads = new JobThreads("test", Duration.ofSeconds(30));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch copyEnds = new CountDownLatch(1); // a copy that outlives the provider
        AtomicInteger interrupted = new AtomicInteger();
        threads.execute(() -> {
            started.countDown();
            try {
                copyEnds.await();
            } catch (InterruptedException e) {
                interrupted.incrementAndGet(); // the copy goes on; the next instance adopts it
            }
        });
        started.await();
        long begin = System.nanoTime();
        threads.stop();
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        assertEquals(1, interrupted.get(), "the job was interrupted");
        assertTrue(waited < 10_000, "stop waited " + waited + " ms for a job it could interrupt");
    }

    @Test
    void aStoppedInstanceRunsNoNewJob() {
        JobThreads threads = new JobThreads("test", Duration.ofSeconds(1));
        threads.stop();
        assertThrows(RejectedExecutionException.class, () -> threads.execute(() -> { }));
    }

    @Test
    @Timeout(60)
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

    @Test
    @Timeout(60)
    void aJobWhoseThreadDiesOfAnErrorStillEndsFailedAndStopsWhatItRan(@TempDir Path dir) throws Exception {
        JobThreads threads = new JobThreads("test", Duration.ofSeconds(5));
        AtomicReference<String> abandoned = new AtomicReference<>();
        JournaledJob job = new JournaledJob(JobJournal.create(dir, JobJournal.Source.OFFLINE)) {
            @Override
            void run() {
                throw new UnsatisfiedLinkError("libnbd.so.0: cannot open shared object file"); // as JNA would
            }

            @Override
            void abandon(String reason) {
                abandoned.set(reason); // a real job ends its copy and libvirt job here
            }

            @Override
            public JobProgress progress() {
                return new JobProgress(1, 0);
            }

            @Override
            public void cancel() {
            }

            @Override
            public void end() {
            }
        };
        threads.start(job);
        JobResult result = job.result().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(JobState.FAILED, result.state());
        assertTrue(result.message().contains("libnbd.so.0"), result.message());
        assertEquals(result.message(), abandoned.get());
        threads.stop();
    }

    @Test
    @Timeout(60)
    void anErrorAfterTheJobEndedLeavesItsEndAsItWas(@TempDir Path dir) throws Exception {
        JobThreads threads = new JobThreads("test", Duration.ofSeconds(5));
        AtomicReference<String> abandoned = new AtomicReference<>();
        CountDownLatch died = new CountDownLatch(1);
        JournaledJob job = new JournaledJob(JobJournal.create(dir, JobJournal.Source.OFFLINE)) {
            @Override
            void run() {
                finish(JobState.COMPLETED, "", List.of());
                died.countDown();
                throw new OutOfMemoryError("after its end, in a log line");
            }

            @Override
            void abandon(String reason) {
                abandoned.set(reason);
            }

            @Override
            public JobProgress progress() {
                return new JobProgress(1, 1);
            }

            @Override
            public void cancel() {
            }

            @Override
            public void end() {
            }
        };
        threads.start(job);
        assertEquals(JobState.COMPLETED, job.result().toCompletableFuture().get(30, TimeUnit.SECONDS).state());
        died.await();
        threads.stop(); // the thread has returned: abandon would have run by now
        assertEquals(null, abandoned.get(), "a job that had ended is not stopped again");
    }
}
