package org.virtbackup.impl.provider.managed;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.JobState;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobResult;

/** What every job of the managed provider shares: its journal, and how it ends. */
abstract class JournaledJob implements BackupJob {

    private static final Logger LOG = LoggerFactory.getLogger(JournaledJob.class);

    protected final JobJournal journal;
    private final CompletableFuture<JobResult> result = new CompletableFuture<>();

    JournaledJob(JobJournal journal) {
        this.journal = journal;
    }

    @Override
    public final CompletionStage<JobResult> result() {
        return result;
    }

    /** The job's work, in a thread of {@link JobThreads}; it ends the job on every path but an {@code Error}'s. */
    abstract void run();

    /** Ends the job after an {@code Error} escaped {@link #run}: its copy stopped, its libvirt job ended, as on a failure. */
    abstract void abandon(String reason);

    /**
     * Runs the job. An {@code Error} escaping it (JNA's, the heap's) still ends it: else its backup
     * would stay running, and its domain busy, until the service restarts.
     */
    final void runToEnd() {
        try {
            run();
        } catch (Error e) {
            String reason = "internal error: " + e;
            LOG.error("A backup job's thread died", e);
            if (result.isDone()) {
                throw e; // it had ended: nothing to stop, and its end stands
            }
            try {
                abandon(reason);
            } catch (RuntimeException | Error again) {
                if (again != e) { // the very same Error (a shared OutOfMemoryError) cannot suppress itself
                    e.addSuppressed(again);
                }
            } finally {
                result.complete(new JobResult(JobState.FAILED, reason, List.of())); // no-op if abandon ended it
            }
            throw e;
        }
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
