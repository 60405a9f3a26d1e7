package org.virtbackup.impl.restore;

import java.nio.file.Path;

import org.virtbackup.impl.qemu.QemuImg;

/** How far a running restore is: disks done, and the copy in flight as qemu-img reports it. */
final class RestoreProgress {

    private final long total;
    private volatile long done;
    private volatile long currentSize;
    private volatile Path currentLog;

    RestoreProgress(long total) {
        this.total = total;
    }

    void current(long size, Path log) {
        currentSize = size;
        currentLog = log;
    }

    void diskDone() {
        done += currentSize;
        currentLog = null;
    }

    long[] bytes() {
        Path log = currentLog;
        long inFlight = log == null ? 0 : (long) (currentSize * QemuImg.progress(log));
        return new long[] {total, Math.min(total, done + inFlight)};
    }
}
