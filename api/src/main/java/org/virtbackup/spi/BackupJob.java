package org.virtbackup.spi;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ConsumerType;

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
}
