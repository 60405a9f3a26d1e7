package org.virtbackup.impl.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.fakes.FakeQemuImg;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;

/** What a failed start leaves: BackupStarterTest covers a job that began; these, the other cases. */
class FailedStartTest {

    @TempDir
    Path tmp;

    BackupTrees trees;
    FailedStart failedStart;
    UUID uuid = UUID.randomUUID();
    Path dir;
    List<BackupDisk> disks;
    Backup recorded;

    /** A backup recorded as running, its image written and a checkpoint of its name in libvirt. */
    @BeforeEach
    void recorded() throws IOException {
        trees = new BackupTrees(tmp);
        trees.domain.active = true;
        failedStart = new FailedStart(new Checkpoints(trees.libvirt, new FakeQemuImg(tmp).qemuImg()), trees.catalogue,
                trees.storage);
        dir = trees.storage.create(trees.domain.ref(), uuid);
        Path image = Files.writeString(dir.resolve("vda.qcow2"), "image");
        disks = List.of(new BackupDisk("vda", "qcow2", image.toString(), 1 << 20, 0));
        recorded = new Backup(uuid, trees.domain.ref(), "", Instant.now(), null, null, BackupKind.FULL,
                BackupMode.MANAGED, JobState.RUNNING, Checkpoints.nameFor(uuid), "", disks);
        trees.catalogue.put(new CatalogueEntry(recorded, trees.domain.xml(), dir));
        trees.domain.checkpoints.add(recorded.checkpoint());
    }

    @Test
    void aStartThatFailsBeforeItsJobBeganKeepsTheCheckpointOfItsNameAndRemovesTheRest() {
        RuntimeException failure = new IllegalStateException("the provider did not start");
        failedStart.undo(failure, null, recorded, uuid, trees.domain.ref(), dir, disks);
        // Not made by this start: a caller-chosen UUID's checkpoint may be another catalogue's backup's.
        assertEquals(List.of(), trees.domain.deletedCheckpoints);
        assertEquals(List.of(recorded.checkpoint()), trees.domain.checkpoints);
        assertTrue(trees.catalogue.get(uuid).isEmpty());
        assertFalse(Files.exists(dir));
        assertEquals(0, failure.getSuppressed().length);
    }

    /** A job whose cancel throws what it is given. */
    private static BackupJob cancelThrowing(Throwable thrown) {
        return new BackupJob() {
            @Override
            public JobProgress progress() {
                return new JobProgress(0, 0);
            }

            @Override
            public CompletionStage<JobResult> result() {
                return new CompletableFuture<>(); // never ends: not waited for, as the cancel failed
            }

            @Override
            public void end() {
            }

            @Override
            public void cancel() {
                if (thrown instanceof Error e) {
                    throw e;
                }
                throw (RuntimeException) thrown;
            }
        };
    }

    @Test
    void theVerySameErrorAgainInACleanupStepStopsNoLaterStep() {
        Error shared = new OutOfMemoryError("Java heap space"); // HotSpot throws one shared instance when short
        failedStart.undo(shared, cancelThrowing(shared), recorded, uuid, trees.domain.ref(), dir, disks);
        assertTrue(trees.catalogue.get(uuid).isEmpty());
        assertFalse(Files.exists(dir));
    }

    @Test
    void aCleanupStepThatFailsIsSuppressedOnTheStartsFailureAndTheLaterStepsStillRun() {
        RuntimeException failure = new IllegalStateException("the record failed");
        RuntimeException refused = new IllegalStateException("libvirt refused the abort");
        BackupJob job = cancelThrowing(refused);
        failedStart.undo(failure, job, recorded, uuid, trees.domain.ref(), dir, disks);
        assertEquals(1, failure.getSuppressed().length);
        assertSame(refused, failure.getSuppressed()[0]);
        // A job not known to have stopped could make the checkpoint again after a drop: it stays.
        assertEquals(List.of(), trees.domain.deletedCheckpoints);
        assertTrue(trees.catalogue.get(uuid).isEmpty());
        assertFalse(Files.exists(dir));
    }
}
