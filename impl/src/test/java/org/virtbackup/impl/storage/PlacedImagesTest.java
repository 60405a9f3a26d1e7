package org.virtbackup.impl.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.impl.repository.Repositories;

/** Per-disk targets on real directories: where an image may be placed, and that removing its backup removes it. */
class PlacedImagesTest {

    @TempDir
    Path tmp;

    private Path global;
    private Path roots;
    private StorageRouter router;
    private final DomainRef vm = new DomainRef("vm", UUID.randomUUID());

    @BeforeEach
    void setUp() throws Exception {
        global = tmp.resolve("global");
        roots = Files.createDirectories(tmp.resolve("roots"));
        router = new StorageRouter(DirectoryTarget.at(global, FakeLibvirt.qemuAsRoot()), global, List.of(roots),
                new FakeLibvirt().pools(), FakeLibvirt.qemuAsRoot(),
                new Repositories(List.of(roots), global, "", "", 1 << 20, 2, false));
    }

    @Test
    void aPlacedImageIsMadeNewAndPrivateAndGoesWithItsBackup() throws Exception {
        UUID backup = UUID.randomUUID();
        Path dir = router.create(vm, backup);
        Path asked = Files.createDirectories(roots.resolve("big-disk")).resolve("vm-vdb.qcow2");
        Path image = router.placed().place(dir, "vdb", DiskTarget.file(asked.toString()), 1 << 20);
        assertEquals(asked.toRealPath(), image);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(image)));
        assertEquals(List.of(image), PlacedImages.in(dir));

        BackupException again = assertThrows(BackupException.class,
                () -> router.placed().place(dir, "vdc", DiskTarget.file(asked.toString()), 1 << 20));
        assertTrue(again.getMessage().contains("exists"), again.getMessage());

        Files.writeString(image, "the backup's data");
        router.remove(backup, List.of(new BackupDisk("vdb", "qcow2", image.toString(), 1 << 20, 17)), dir);
        assertFalse(Files.exists(image), "the placed image goes with its backup");
        assertFalse(Files.exists(dir));
        assertTrue(Files.isDirectory(asked.getParent()), "the directory it was put in is the operator's");
    }

    @Test
    void aStartCutShortLeavesARecordThatRemovesWhatItPlaced() throws Exception {
        UUID backup = UUID.randomUUID();
        Path dir = router.create(vm, backup);
        Path image = router.placed().place(dir, "vda", DiskTarget.file(roots.resolve("vda.qcow2").toString()), 1 << 20);
        router.remove(backup, List.of(), dir); // as the start-up sweep does: no descriptor names the disk
        assertFalse(Files.exists(image));
    }

    @Test
    void aFileOutsideTheRootsOrInATargetsTreeOrASymlinkOutIsRefused() throws Exception {
        Path dir = router.create(vm, UUID.randomUUID());
        Path outside = Files.createDirectories(tmp.resolve("elsewhere"));
        refused(dir, outside.resolve("x.qcow2").toString(), "not inside the target roots");
        Path link = Files.createSymbolicLink(roots.resolve("out"), outside);
        refused(dir, link.resolve("x.qcow2").toString(), "not inside the target roots");
        assertFalse(Files.exists(outside.resolve("x.qcow2")), "nothing is made outside the roots");
        Path perDomain = Files.createDirectories(roots.resolve("vm-target"));
        router.assign(new FakeDomain("vm2", tmp.resolve("vm2.qcow2").toString()), BackupTarget.directory(
                perDomain.toString()), false);
        refused(dir, perDomain.resolve("x.qcow2").toString(), "backup target's own directory");
        refused(dir, roots.resolve("missing").resolve("x.qcow2").toString(), "does not exist");
        Files.writeString(roots.resolve("taken.qcow2"), "someone's");
        refused(dir, roots.resolve("taken.qcow2").toString(), "exists");
        assertEquals("someone's", Files.readString(roots.resolve("taken.qcow2")));
        assertEquals(List.of(), PlacedImages.in(dir));
    }

    private void refused(Path dir, String file, String why) {
        BackupException e = assertThrows(BackupException.class, () -> router.placed().place(dir, "vda", DiskTarget.file(file),
                1 << 20));
        assertEquals(ErrorCode.INVALID_TARGET, e.code());
        assertTrue(e.getMessage().contains(why) && e.getMessage().contains("disk vda"), e.getMessage());
    }
}
