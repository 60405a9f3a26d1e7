package org.virtbackup.spi;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ConsumerType;
import org.virtbackup.api.BackupDisk;

/** A running job of a {@link BackupProvider}. */
@ConsumerType
public interface BackupJob {

    /** Bytes read so far and in all. */
    JobProgress progress();

    /**
     * Completes when the job ends: completed, failed or cancelled. Never completes when the
     * provider is stopped mid-job: the job is then resumed by the next provider.
     */
    CompletionStage<JobResult> result();

    /** Aborts the job and removes what it wrote; {@link #result()} then completes as cancelled. */
    void cancel();

    /**
     * Ends, as completed, a job that runs until told to (an unmanaged export); a job that ends
     * by itself ignores it.
     */
    default void end() {
    }

    /**
     * The disks as the job started them, when they hold what only the provider knows (an
     * export's URI); empty when they are the spec's.
     */
    default Optional<List<BackupDisk>> disks() {
        return Optional.empty();
    }
}
