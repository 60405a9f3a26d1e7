package org.virtbackup.impl.qemu;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.virtbackup.spi.JobProgress;

/**
 * How far a run of qemu-img copies is (a restore's converts, a merge's rebases): images done,
 * and the one in flight as qemu-img reports it in its log.
 */
public final class CopyProgress {

    private final long total;
    private volatile long done;
    private volatile long currentSize;
    private volatile Path currentLog;
    private final AtomicLong streamed = new AtomicLong();

    public CopyProgress(long total) {
        this.total = total;
    }

    /** The next image, of {@code size} bytes, is being copied with its progress lines in {@code log}. */
    public void current(long size, Path log) {
        currentSize = size;
        currentLog = log;
    }

    public void diskDone() {
        done += currentSize;
        currentLog = null;
    }

    /** Bytes copied in-process (no qemu-img log to read): counted as they go. */
    public void advance(long bytes) {
        streamed.addAndGet(bytes);
    }

    /** Bytes in all and done so far. */
    public JobProgress bytes() {
        Path log = currentLog;
        long inFlight = log == null ? 0 : (long) (currentSize * QemuImg.progress(log));
        return new JobProgress(total, Math.min(total, done + inFlight + streamed.get()));
    }
}
