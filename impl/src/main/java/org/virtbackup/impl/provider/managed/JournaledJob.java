package org.virtbackup.impl.provider.managed;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.JobState;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobResult;

/** What every job of the managed provider shares: its journal, and how it ends. */
abstract class JournaledJob implements BackupJob {

    protected final JobJournal journal;
    private final CompletableFuture<JobResult> result = new CompletableFuture<>();

    JournaledJob(JobJournal journal) {
        this.journal = journal;
    }

    @Override
    public final CompletionStage<JobResult> result() {
        return result;
    }

    /** Records the end in the journal (for a later resume to find), then reports it. */
    protected final void finish(JobState state, String message, List<BackupDisk> disks) {
        try {
            journal.finished(state);
        } catch (RuntimeException e) {
            // the directory may be gone already; the result below is what counts
        }
        result.complete(new JobResult(state, state == JobState.CANCELLED ? "" : message, disks));
    }
}
