package org.virtbackup.impl.provider;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.virtbackup.api.BackupDisk;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;

/** A job found already ended when the provider looked for it after a restart. */
public final class EndedJob implements BackupJob {

    private final JobResult result;

    public EndedJob(JobResult result) {
        this.result = result;
    }

    @Override
    public JobProgress progress() {
        long total = result.disks().stream().mapToLong(BackupDisk::capacity).sum();
        return new JobProgress(total, total);
    }

    @Override
    public CompletionStage<JobResult> result() {
        return CompletableFuture.completedFuture(result);
    }

    @Override
    public void cancel() {
        // nothing runs
    }
}
