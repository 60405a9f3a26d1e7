package org.virtbackup.impl.jobs;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;

import org.virtbackup.api.JobState;
import org.virtbackup.spi.BackupJob;

/**
 * A job the facade watches.
 *
 * @param job the provider's job
 * @param started when this activation started watching it (for elapsed time and throughput)
 * @param recorded completes with the final state once the catalogue has recorded it
 */
public record RunningJob(BackupJob job, Instant started, CompletableFuture<JobState> recorded) {
}
