package org.virtbackup.impl.provider.unmanaged;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.jobs.Messages;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;

/**
 * An unmanaged backup while a third party reads its NBD export: it ends when told
 * ({@link #end}, {@link #cancel}), when its time is up (expired), or when libvirt's job goes
 * away without us (the domain stopped: failed). The provider calls {@link #check} periodically.
 */
final class UnmanagedExport implements BackupJob {

    private static final Logger LOG = LoggerFactory.getLogger(UnmanagedExport.class);
    private static final String GONE = "the export ended without finishJob (domain stopped, or libvirtd restarted "
            + "and dropped the job)";


    private final PullExport export;
    private final LibvirtDomain domain;
    private final List<BackupDisk> disks;
    private final Instant expires;
    private final Duration limit;
    private final CompletableFuture<JobResult> result = new CompletableFuture<>();

    /** @param expires when the export is ended as expired, {@code null} for never */
    UnmanagedExport(PullExport export, LibvirtDomain domain, List<BackupDisk> disks, Instant expires, Duration limit) {
        this.export = export;
        this.domain = domain;
        this.disks = List.copyOf(disks);
        this.expires = expires;
        this.limit = limit;
    }

    @Override
    public JobProgress progress() {
        long total = disks.stream().mapToLong(BackupDisk::capacity).sum();
        try {
            // QEMU counts what the job has copied before guest writes: the scratch data held.
            return new JobProgress(total, Math.min(total, domain.jobStats(false).value("disk_processed")));
        } catch (BackupException e) {
            return new JobProgress(total, 0);
        }
    }

    @Override
    public CompletionStage<JobResult> result() {
        return result;
    }

    @Override
    public Optional<List<BackupDisk>> disks() {
        return Optional.of(disks);
    }

    /**
     * The third party is done. An export whose libvirt job already went (the domain stopped
     * before the check saw it) is not recorded completed: what the reader got is not known, and
     * an incremental on it could miss what it never read.
     */
    @Override
    public void end() {
        boolean gone;
        try {
            gone = !export.isActive();
        } catch (RuntimeException e) {
            gone = false; // libvirt cannot say now: the caller's word stands
        }
        if (gone) {
            finish(JobState.FAILED, GONE + " before finishJob ended it; the reader may not have read it all");
        } else {
            finish(JobState.COMPLETED, "");
        }
    }

    @Override
    public void cancel() {
        finish(JobState.CANCELLED, "");
    }

    /** Ends an export past its time, or records one whose libvirt job is gone; true once ended. */
    boolean check() {
        if (result.isDone()) {
            return true;
        }
        try {
            if (expires != null && !Instant.now().isBefore(expires)) {
                finish(JobState.EXPIRED, "the export was open longer than " + limit.toSeconds()
                        + " s (export.expiry.seconds) and was ended; its checkpoint is dropped");
            } else if (!export.isActive()) {
                finish(JobState.FAILED, GONE);
            }
        } catch (RuntimeException | Error e) {
            // libvirt cannot say now (restarting, say): QEMU may well still serve the disk; ask again later.
            // Not only BackupException: JNA's "Invalid memory access" is an Error, and says no more than that.
            LOG.info("Cannot check the export of {} now: {}", disks.isEmpty() ? "?" : disks.get(0).export().uri(),
                    e.toString());
        }
        return result.isDone();
    }

    private synchronized void finish(JobState state, String message) {
        if (result.isDone()) {
            return;
        }
        String left = export.end().orElse("");
        result.complete(new JobResult(state, Messages.joined(message, left), disks));
    }
}
