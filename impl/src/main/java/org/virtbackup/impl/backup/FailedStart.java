package org.virtbackup.impl.backup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.DomainRef;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.storage.StorageRouter;
import org.virtbackup.spi.BackupJob;

/**
 * Undoes a start that failed, so nothing half-written stays: no job, no checkpoint, no descriptor,
 * no directory. Every step is tried even if one before it fails, and their failures are suppressed
 * on the start's own: the first failure is the one reported.
 */
final class FailedStart {

    /** The start's logger: what a failed start logs reads as it did before this was split out. */
    private static final Logger LOG = LoggerFactory.getLogger(BackupStarter.class);
    /** How long a start that failed after its job began waits for the cancelled job. */
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(30);

    private final Checkpoints checkpoints;
    private final Catalogue catalogue;
    private final StorageRouter storage;

    FailedStart(Checkpoints checkpoints, Catalogue catalogue, StorageRouter storage) {
        this.checkpoints = checkpoints;
        this.catalogue = catalogue;
        this.storage = storage;
    }

    /**
     * Undoes what the start of backup {@code uuid} made before {@code failure}; the caller throws it.
     *
     * @param job the job the provider started, {@code null} if it did not start one
     * @param recorded the backup as the job was started with; not {@code null} if {@code job} is not
     * @param disks the disks made so far, in {@code dir}
     */
    void undo(Throwable failure, BackupJob job, Backup recorded, UUID uuid, DomainRef ref, Path dir,
            List<BackupDisk> disks) {
        if (job != null) {
            // Started, and then its record failed (a catalogue that cannot be written): nobody would watch it.
            try {
                job.cancel();
                awaitEnd(job);
                checkpoints.drop(recorded); // made by the job (a provider that fails to start cleans up its own)
            } catch (RuntimeException | Error cleanup) { // the Error that failed the start may come again
                suppress(failure, cleanup);
            }
        }
        try {
            DirectoryMarks.deleting(dir, ref); // a crash from here on is finished at the next start
        } catch (RuntimeException | Error cleanup) {
            suppress(failure, cleanup);
        }
        try {
            catalogue.delete(uuid);
        } catch (RuntimeException | Error cleanup) {
            suppress(failure, cleanup);
        }
        try {
            storage.remove(uuid, disks, dir);
        } catch (RuntimeException | Error cleanup) {
            suppress(failure, cleanup);
        }
    }

    /** Waits a while for a cancelled job to end: a job still running could make its checkpoint after the drop. */
    private static void awaitEnd(BackupJob job) {
        try {
            job.result().toCompletableFuture().get(CANCEL_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // failed, or still going: the checkpoint is dropped anyway, and a job still going is in the log
            LOG.warn("A backup job cancelled after its start failed did not end cleanly within {} s: {}",
                    CANCEL_WAIT.toSeconds(), e.toString());
        }
    }

    /** The very same Error again (HotSpot shares one OutOfMemoryError when short) cannot suppress itself. */
    private static void suppress(Throwable failure, Throwable cleanup) {
        if (cleanup != failure) {
            failure.addSuppressed(cleanup);
        }
    }
}
