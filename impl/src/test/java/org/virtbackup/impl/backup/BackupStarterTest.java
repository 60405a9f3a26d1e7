package org.virtbackup.impl.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
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

/** A start that fails after its provider started the job leaves no job, no checkpoint and no files. */
class BackupStarterTest {

    @TempDir
    Path tmp;

    /** A job that is never watched if the start fails: it says whether it was cancelled. */
    static final class StartedJob implements BackupJob {
        final CompletableFuture<JobResult> result = new CompletableFuture<>();
        final List<BackupDisk> disks;
        boolean cancelled;
        /** Thrown by {@link #disks} while set: a step after the start that dies of an Error. */
        Error disksError;

        StartedJob(List<BackupDisk> disks) {
            this.disks = disks;
        }

        @Override
        public JobProgress progress() {
            return new JobProgress(0, 0);
        }

        @Override
        public CompletionStage<JobResult> result() {
            return result;
        }

        @Override
        public Optional<List<BackupDisk>> disks() {
            if (disksError != null) {
                throw disksError;
            }
            return Optional.of(disks); // so the start records them: the write that fails here
        }

        @Override
        public void end() {
        }

        @Override
        public void cancel() {
            cancelled = true;
            result.complete(new JobResult(JobState.CANCELLED, "", disks));
        }
    }

    private BackupTrees trees;
    private JobTracker jobs;
    private BackupStarter starter;

    /** A running domain, and a starter over a real catalogue and directory target. */
    @BeforeEach
    void starter() {
        trees = new BackupTrees(tmp);
        trees.domain.active = true;
        FakeQemuImg qemuImg = new FakeQemuImg(tmp);
        Checkpoints checkpoints = new Checkpoints(trees.libvirt, qemuImg.qemuImg());
        jobs = new JobTracker(trees.catalogue, trees.storage, checkpoints, new Events(), FaultPoints.NONE);
        starter = new BackupStarter(trees.libvirt, trees.catalogue, trees.storage,
                new ParentChoice(trees.catalogue, qemuImg.qemuImg()), jobs, checkpoints, new Events(), new DomainLocks(),
                FaultPoints.NONE, tmp.resolve("swtpm"));
    }

    @Test
    void aStartWhoseRecordFailsAfterTheJobBeganCancelsTheJobAndDropsItsCheckpoint() {
        StartedJob[] started = new StartedJob[1];
        BackupProvider provider = new BackupProvider() {
            @Override
            public BackupJob start(JobSpec spec) {
                trees.domain.checkpoints.add(spec.backup().checkpoint()); // libvirt made it with the job
                try {
                    Paths.deleteTree(spec.directory()); // the catalogue's next write will fail
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                started[0] = new StartedJob(spec.backup().disks());
                return started[0];
            }

            @Override
            public Optional<BackupJob> resume(JobSpec spec) {
                return Optional.empty();
            }
        };
        UUID uuid = UUID.randomUUID();
        assertThrows(RuntimeException.class, () -> starter.start(BackupMode.UNMANAGED, provider, "vm",
                new BackupRequest(uuid, "", null, List.of()), Set.of()));
        assertTrue(started[0].cancelled, "the job nobody would watch was cancelled");
        assertEquals(List.of("vb-" + uuid), trees.domain.deletedCheckpoints);
        assertTrue(trees.catalogue.get(uuid).isEmpty());
        assertFalse(jobs.get(uuid).isPresent());
    }

    @Test
    void aStepAfterTheJobBeganThatDiesOfAnErrorStillCancelsTheJob() {
        StartedJob[] started = new StartedJob[1];
        BackupProvider provider = new BackupProvider() {
            @Override
            public BackupJob start(JobSpec spec) {
                trees.domain.checkpoints.add(spec.backup().checkpoint());
                started[0] = new StartedJob(spec.backup().disks());
                started[0].disksError = new UnsatisfiedLinkError("Invalid memory access"); // as JNA throws
                return started[0];
            }

            @Override
            public Optional<BackupJob> resume(JobSpec spec) {
                return Optional.empty();
            }
        };
        UUID uuid = UUID.randomUUID();
        assertThrows(UnsatisfiedLinkError.class, () -> starter.start(BackupMode.UNMANAGED, provider, "vm",
                new BackupRequest(uuid, "", null, List.of()), Set.of()));
        assertTrue(started[0].cancelled, "the job nobody would watch was cancelled");
        assertEquals(List.of("vb-" + uuid), trees.domain.deletedCheckpoints);
        assertTrue(trees.catalogue.get(uuid).isEmpty(), "no backup left running");
    }
}
