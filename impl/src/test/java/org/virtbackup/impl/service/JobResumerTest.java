package org.virtbackup.impl.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.fakes.FakeQemuImg;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.jobs.JobTracker;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;
import org.virtbackup.spi.JobSpec;

/** Which running backups a provider that comes is given to resume. */
class JobResumerTest {

    @TempDir
    Path tmp;

    /** A job whose end the test gives. */
    static final class EndingJob implements BackupJob {
        final CompletableFuture<JobResult> result = new CompletableFuture<>();

        @Override
        public JobProgress progress() {
            return new JobProgress(1, 0);
        }

        @Override
        public CompletionStage<JobResult> result() {
            return result;
        }

        @Override
        public void cancel() {
        }

        @Override
        public void end() {
        }
    }

    @Test
    void aBackupWhoseEndAwaitsItsRecordIsNotResumedOverThatEnd() throws Exception {
        BackupTrees trees = new BackupTrees(tmp);
        JobTracker jobs = new JobTracker(trees.catalogue, trees.storage,
                new Checkpoints(trees.libvirt, new FakeQemuImg(tmp).qemuImg()), new Events(), FaultPoints.NONE);
        Backup ended = trees.add(null, JobState.RUNNING);
        Backup unwatched = trees.add(null, JobState.RUNNING); // its provider was away: resumed when one comes
        EndingJob job = new EndingJob();
        jobs.watch(ended.uuid(), job);
        Path dir = trees.directory(ended);
        Path away = dir.resolveSibling(dir.getFileName() + ".away");
        Files.move(dir, away); // its end cannot be recorded
        job.result.complete(new JobResult(JobState.COMPLETED, "", ended.disks()));
        assertTrue(jobs.endsUnrecorded(ended.uuid()));

        List<Backup> asked = new ArrayList<>();
        Providers providers = new Providers();
        JobResumer resumer = new JobResumer(trees.catalogue, jobs, new DomainLocks(), providers);
        providers.bind(BackupMode.MANAGED, new BackupProvider() {
            @Override
            public BackupJob start(JobSpec spec) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<BackupJob> resume(JobSpec spec) {
                asked.add(spec.backup());
                return Optional.of(new EndingJob());
            }
        });
        try {
            resumer.resume(BackupMode.MANAGED);
        } finally {
            resumer.close();
        }
        assertEquals(List.of(unwatched.uuid()), asked.stream().map(Backup::uuid).toList(),
                "the ended one keeps its end for finishJob to record");
        Files.move(away, dir);
        assertEquals(JobState.COMPLETED, jobs.finish(ended.uuid(), Set.of()));
    }
}
