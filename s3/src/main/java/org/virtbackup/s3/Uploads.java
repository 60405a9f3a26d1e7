package org.virtbackup.s3;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The part uploads of one endpoint: at most {@code parallel} at once, the writer that would start
 * one more waits (so the parts held in memory are bounded: {@code parallel} times the part size,
 * plus the part each pack is filling).
 */
final class Uploads implements AutoCloseable {

    private final int partSize;
    private final Semaphore slots;
    private final ExecutorService threads;

    Uploads(String endpoint, int parallel, int partSize) {
        this.partSize = partSize;
        this.slots = new Semaphore(parallel);
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(parallel, r -> {
            Thread t = new Thread(r, "virt-backup-s3-" + endpoint + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    int partSize() {
        return partSize;
    }

    /** Runs the upload on a thread of its own once a slot is free; waits for the slot. */
    <T> Future<T> submit(Callable<T> upload) throws InterruptedException {
        slots.acquire();
        try {
            return threads.submit(() -> {
                try {
                    return upload.call();
                } finally {
                    slots.release();
                }
            });
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
    }

    /** Stops the uploads; those not started yet are cancelled, so nobody waits on them for ever. */
    @Override
    public void close() {
        for (Runnable queued : threads.shutdownNow()) {
            if (queued instanceof Future<?> f) {
                f.cancel(true);
            }
        }
    }
}
