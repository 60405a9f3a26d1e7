package org.virtbackup.impl.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.fakes.FakeQemuImg;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.restore.InstantRestores;

/** The chain editor on a real catalogue and directory target, with a fake libvirt and qemu-img. */
class ChainEditorTest {

    @TempDir
    Path tmp;

    private BackupTrees trees;
    private FakeQemuImg qemuImg;
    private ChainEditor editor;
    private final DomainLocks locks = new DomainLocks().waiting(Duration.ofMillis(200));

    @BeforeEach
    void setUp() {
        trees = new BackupTrees(tmp);
        qemuImg = new FakeQemuImg(tmp);
        editor = new ChainEditor(trees.catalogue, trees.storage, new Checkpoints(trees.libvirt, qemuImg.qemuImg()),
                qemuImg.qemuImg(), new InstantRestores(trees.libvirt), new CopyTracker(), new Events(),
                locks, org.virtbackup.impl.config.FaultPoints.NONE);
    }

    @Test
    void anEditWhileAnotherHoldsTheDomainIsRefusedAsBusyNamingItAndChangesNothing() throws Exception {
        Backup a = trees.full();
        Backup b = trees.incremental(a);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            try (DomainLocks.Held h = locks.hold(a.domain(), DomainLocks.Access.EDIT, "the merge of backup X")) {
                held.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        other.start();
        held.await();
        try {
            BackupException e = assertThrows(BackupException.class,
                    () -> editor.delete(b.uuid(), Set.of(DeleteFlag.MERGE)));
            assertEquals(ErrorCode.DOMAIN_BUSY, e.code());
            assertTrue(e.getMessage().contains("the merge of backup X (since "), e.getMessage());
            assertTrue(trees.catalogue.get(b.uuid()).isPresent());
            assertEquals(a.uuid(), trees.catalogue.require(b.uuid()).backup().parent());
        } finally {
            done.countDown();
            other.join();
        }
        editor.delete(b.uuid(), Set.of(DeleteFlag.MERGE)); // free again: the edit goes through
        assertFalse(trees.catalogue.get(b.uuid()).isPresent());
    }

    @Test
    void aBackupWithChildrenIsRefusedAndNothingGoes() {
        Backup a = trees.full();
        Backup b = trees.incremental(a);
        BackupException e = assertThrows(BackupException.class, () -> editor.delete(a.uuid(), Set.of()));
        assertEquals(ErrorCode.HAS_CHILDREN, e.code());
        assertTrue(e.getMessage().contains("1 descendant"), e.getMessage());
        assertTrue(trees.catalogue.get(a.uuid()).isPresent());
        assertTrue(Files.exists(Path.of(a.disks().get(0).target())));
        assertTrue(trees.catalogue.get(b.uuid()).isPresent());
    }

    @Test
    void aSubtreeGoesChildrenFirstWithItsFilesAndCheckpoints() {
        Backup a = trees.full();
        Backup b = trees.incremental(a);
        Backup c = trees.incremental(b);
        Backup other = trees.full();
        editor.delete(a.uuid(), Set.of(DeleteFlag.ALL_CHILDREN));
        assertEquals(List.of(other.uuid()), trees.catalogue.backups().stream().map(Backup::uuid).toList());
        for (Backup gone : List.of(a, b, c)) {
            assertFalse(Files.exists(trees.root.resolve(trees.domain.ref().uuid().toString()).resolve(gone.uuid().toString())),
                    "directory of " + gone.uuid());
        }
        assertEquals(List.of(c.checkpoint(), b.checkpoint(), a.checkpoint()), trees.domain.deletedCheckpoints,
                "children before parents");
    }

    @Test
    void aMergeRebasesEachChildOntoTheGrandparentThenDeletes() {
        Backup a = trees.full();
        Backup b = trees.incremental(a);
        Backup c1 = trees.incremental(b);
        Backup c2 = trees.incremental(b);
        editor.delete(b.uuid(), Set.of(DeleteFlag.MERGE));

        List<String> rebases = qemuImg.calls().stream().filter(l -> l.startsWith("rebase")).toList();
        String toA = "-b ../" + a.uuid() + "/vda.qcow2 -F qcow2 ";
        assertEquals(List.of("rebase -p -f qcow2 " + toA + c1.disks().get(0).target(),
                "rebase -p -f qcow2 " + toA + c2.disks().get(0).target()), rebases, "oldest child first");
        assertTrue(trees.catalogue.get(b.uuid()).isEmpty());
        assertFalse(Files.exists(trees.directory(a).resolveSibling(b.uuid().toString())));
        for (Backup c : List.of(c1, c2)) {
            Backup now = trees.catalogue.require(c.uuid()).backup();
            assertEquals(a.uuid(), now.parent());
            assertEquals(BackupKind.INCREMENTAL, now.kind());
        }
        assertEquals(List.of(b.checkpoint()), trees.domain.deletedCheckpoints);
    }

    @Test
    void mergingAFullMakesItsChildFull() {
        Backup a = trees.full();
        Backup b = trees.incremental(a);
        editor.delete(a.uuid(), Set.of(DeleteFlag.MERGE));
        assertEquals(List.of("rebase -p -f qcow2 -b  " + b.disks().get(0).target()),
                qemuImg.calls().stream().filter(l -> l.startsWith("rebase")).toList(), "no backing file");
        Backup now = trees.catalogue.require(b.uuid()).backup();
        assertNull(now.parent());
        assertEquals(BackupKind.FULL, now.kind());
    }

    @Test
    void aRunningBackupIsNeitherDeletedNorMerged() {
        Backup a = trees.full();
        Backup running = trees.add(a, JobState.RUNNING);
        assertEquals(ErrorCode.INVALID_STATE, assertThrows(BackupException.class,
                () -> editor.delete(a.uuid(), EnumSet.of(DeleteFlag.ALL_CHILDREN))).code());
        assertEquals(ErrorCode.INVALID_STATE, assertThrows(BackupException.class,
                () -> editor.delete(a.uuid(), EnumSet.of(DeleteFlag.MERGE))).code());
        assertTrue(trees.catalogue.get(running.uuid()).isPresent());
        assertTrue(qemuImg.calls().stream().noneMatch(l -> l.startsWith("rebase")));
    }

    @Test
    void mergeCombinesWithNoOtherFlag() {
        Backup a = trees.full();
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> editor.delete(a.uuid(), EnumSet.of(DeleteFlag.MERGE, DeleteFlag.METADATA_ONLY))).code());
        assertTrue(trees.catalogue.get(a.uuid()).isPresent());
    }

    @Test
    void metadataOnlyKeepsTheFiles() {
        Backup a = trees.full();
        Path dir = trees.directory(a);
        editor.delete(a.uuid(), Set.of(DeleteFlag.METADATA_ONLY));
        assertTrue(trees.catalogue.get(a.uuid()).isEmpty());
        assertTrue(Files.exists(Path.of(a.disks().get(0).target())));
        assertFalse(Files.exists(dir.resolve("backup.xml")), "the catalogue deleted its descriptor");
        assertTrue(trees.domain.deletedCheckpoints.isEmpty());
    }
}
