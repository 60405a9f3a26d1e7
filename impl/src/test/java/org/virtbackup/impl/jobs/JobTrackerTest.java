package org.virtbackup.impl.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.fakes.FakeQemuImg;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.storage.DirectoryTarget;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;

/** How the tracker records each way a job ends, on a real catalogue and directory target. */
class JobTrackerTest {

    @TempDir
    Path tmp;

    private BackupTrees trees;
    private JobTracker tracker;

    /** A job the test ends by hand; cancel and end say so. */
    static class ManualJob implements BackupJob {
        final CompletableFuture<JobResult> result = new CompletableFuture<>();
        boolean cancelled;
        boolean ended;

        @Override
        public JobProgress progress() {
            return new JobProgress(100, 40);
        }

        @Override
        public CompletionStage<JobResult> result() {
            return result;
        }

        @Override
        public void cancel() {
            cancelled = true;
            result.complete(new JobResult(JobState.CANCELLED, "", List.of()));
        }

        @Override
        public void end() {
            ended = true;
        }
    }

    @BeforeEach
    void setUp() {
        trees = new BackupTrees(tmp);
        FakeQemuImg qemuImg = new FakeQemuImg(tmp);
        tracker = new JobTracker(trees.catalogue, trees.storage, new Checkpoints(trees.libvirt, qemuImg.qemuImg()),
                new Events(), org.virtbackup.impl.config.FaultPoints.NONE);
    }

    private Catalogue reloaded() {
        Catalogue fresh = new Catalogue(new BackupXml());
        fresh.load(DirectoryTarget.at(trees.root, FakeLibvirt.qemuAsRoot()).backups()); // as after a restart
        return fresh;
    }

    @Test
    void aCompletedJobIsRecordedWithItsDisksOnDisk() {
        Backup b = trees.add(null, JobState.RUNNING);
        ManualJob job = new ManualJob();
        tracker.watch(b.uuid(), job);
        assertEquals(Optional.of(b.uuid()), tracker.runningFor(trees.domain.ref().uuid()));
        assertEquals(JobState.RUNNING, tracker.finish(b.uuid(), Set.of(FinishJobFlag.CHECK)));
        job.result.complete(new JobResult(JobState.COMPLETED, "", List.of(b.disks().get(0).withStored(4096))));
        Backup recorded = reloaded().require(b.uuid()).backup();
        assertEquals(JobState.COMPLETED, recorded.state());
        assertEquals(4096, recorded.disks().get(0).stored());
        assertTrue(tracker.running().isEmpty());
        assertEquals(JobState.COMPLETED, tracker.finish(b.uuid(), Set.of()), "an ended backup answers its state");
        assertTrue(trees.domain.deletedCheckpoints.isEmpty());
    }

    @Test
    void whatACompletedJobLeftForTheOperatorIsRecordedInItsMessage() {
        Backup b = trees.add(null, JobState.RUNNING);
        ManualJob job = new ManualJob();
        tracker.watch(b.uuid(), job);
        job.result.complete(new JobResult(JobState.COMPLETED, "virsh domjobabort vm1", b.disks()));
        Backup recorded = reloaded().require(b.uuid()).backup();
        assertEquals(JobState.COMPLETED, recorded.state());
        assertEquals("virsh domjobabort vm1", recorded.message());
    }

    @Test
    void aFailedJobKeepsItsDescriptorAndReasonButNotItsImagesNorCheckpoint() {
        Backup b = trees.add(null, JobState.RUNNING);
        ManualJob job = new ManualJob();
        tracker.watch(b.uuid(), job);
        job.result.complete(new JobResult(JobState.FAILED, "the disk fell off", b.disks()));
        Backup recorded = reloaded().require(b.uuid()).backup();
        assertEquals(JobState.FAILED, recorded.state());
        assertEquals("the disk fell off", recorded.message());
        assertFalse(Files.exists(Path.of(b.disks().get(0).target())));
        assertEquals(List.of(b.checkpoint()), trees.domain.deletedCheckpoints);
    }

    @Test
    void aCancelledJobLeavesNothing() {
        Backup b = trees.add(null, JobState.RUNNING);
        Path dir = trees.directory(b);
        ManualJob job = new ManualJob();
        tracker.watch(b.uuid(), job);
        assertEquals(JobState.CANCELLED, tracker.finish(b.uuid(), Set.of(FinishJobFlag.CANCEL)));
        assertTrue(job.cancelled);
        assertTrue(trees.catalogue.get(b.uuid()).isEmpty());
        assertTrue(reloaded().get(b.uuid()).isEmpty());
        assertFalse(Files.exists(dir));
        assertEquals(List.of(b.checkpoint()), trees.domain.deletedCheckpoints);
    }

    @Test
    void finishEndsAnExportAndWaitsForItsRecord() {
        Backup b = trees.add(null, JobState.RUNNING);
        ManualJob job = new ManualJob() {
            @Override
            public void end() {
                super.end();
                result.complete(new JobResult(JobState.COMPLETED, "", List.of()));
            }
        };
        tracker.watch(b.uuid(), job);
        assertEquals(JobState.COMPLETED, tracker.finish(b.uuid(), Set.of()));
        assertTrue(job.ended);
        assertEquals(JobState.COMPLETED, trees.catalogue.require(b.uuid()).backup().state());
    }

    @Test
    void afterCloseNothingIsRecordedSoTheNextActivationResumes() {
        Backup b = trees.add(null, JobState.RUNNING);
        ManualJob job = new ManualJob();
        tracker.watch(b.uuid(), job);
        tracker.close();
        job.result.complete(new JobResult(JobState.COMPLETED, "", b.disks()));
        assertEquals(JobState.RUNNING, reloaded().require(b.uuid()).backup().state());
    }

    @Test
    void anEndWhoseRecordingFailedIsRecordedByTheNextFinishJobNotCalledProviderless() throws Exception {
        Backup b = trees.add(null, JobState.RUNNING);
        ManualJob job = new ManualJob();
        tracker.watch(b.uuid(), job);
        Path dir = trees.directory(b);
        Path away = dir.resolveSibling(dir.getFileName() + ".away");
        Files.move(dir, away); // its descriptor cannot be written: as on a full disk
        job.result.complete(new JobResult(JobState.COMPLETED, "", b.disks()));
        assertTrue(tracker.running().isEmpty());
        assertEquals(Optional.of(b.uuid()), tracker.runningFor(trees.domain.ref().uuid()), "still busy");

        BackupException again = assertThrows(BackupException.class, () -> tracker.finish(b.uuid(), Set.of()));
        assertEquals(ErrorCode.IO_ERROR, again.code(), again.getMessage());
        assertTrue(again.getMessage().contains("ended (completed), but recording it failed again"), again.getMessage());

        Files.move(away, dir); // room again
        assertEquals(JobState.COMPLETED, tracker.finish(b.uuid(), Set.of(FinishJobFlag.CHECK)));
        assertEquals(JobState.COMPLETED, reloaded().require(b.uuid()).backup().state());
        assertEquals(Optional.empty(), tracker.runningFor(trees.domain.ref().uuid()));
    }

    @Test
    void anUnwatchedRunningBackupStillMakesItsDomainBusy() {
        Backup b = trees.add(null, JobState.RUNNING);
        assertEquals(Optional.of(b.uuid()), tracker.runningFor(trees.domain.ref().uuid()));
    }
}
