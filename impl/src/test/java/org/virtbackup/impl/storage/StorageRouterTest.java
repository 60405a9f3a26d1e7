package org.virtbackup.impl.storage;

import org.virtbackup.impl.repository.Repositories;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.impl.qemu.QemuAccess;

/** Where backups go, on real directories; a StorageTarget service is a second directory target. */
class StorageRouterTest {

    @TempDir
    Path tmp;

    private Path global;
    private Path roots;
    private FakeDomain domain;
    private StorageRouter router;

    @BeforeEach
    void setUp() {
        global = tmp.resolve("global");
        roots = tmp.resolve("roots");
        domain = new FakeDomain("vm", tmp.resolve("vm.qcow2").toString());
        router = router();
    }

    private StorageRouter router() {
        return new StorageRouter(DirectoryTarget.at(global, FakeLibvirt.qemuAsRoot()), global, List.of(roots), new FakeLibvirt().pools(),
                FakeLibvirt.qemuAsRoot(), new Repositories(List.of(roots), global, "", "", 1 << 20, 2, false));
    }

    @Test
    void aBadLineInTheTargetsFileIsSkippedAndTheServiceStillStarts() throws Exception {
        Path dir = Files.createDirectories(roots.resolve("vm-target"));
        UUID good = UUID.randomUUID();
        Files.writeString(global.resolve("default-targets.properties"), "not-a-uuid = dir:/x\n"
                + UUID.randomUUID() + " = no colon here\n" + good + " = dir:" + dir + "\n");
        StorageRouter restarted = router();
        assertEquals(Optional.of(org.virtbackup.api.BackupTarget.directory(dir.toString())), restarted.get(good));
    }

    @Test
    void withoutATargetOfItsOwnADomainsBackupsGoToTheGlobalOne() throws Exception {
        UUID backup = UUID.randomUUID();
        Path dir = router.create(domain.ref(), backup);
        assertEquals(global.resolve(domain.ref().uuid().toString()).resolve(backup.toString()), dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals(dir.resolve("vda.qcow2"), router.image(domain.ref(), dir, backup, "vda", 1 << 20));
        assertEquals(List.of(), router.backups(), "listed once: it made the directory");
        assertEquals(List.of(dir), router().backups(), "after a restart");
    }

    @Test
    void qemuMayEnterADirectoryForImagesButNotTheWorkDirectoryOfARepositoryBackup() throws Exception {
        int qemuUid = 64123;
        QemuAccess qemu = new QemuAccess(() -> OptionalInt.of(qemuUid));
        StorageRouter withQemuUser = new StorageRouter(DirectoryTarget.at(global, qemu), global, List.of(roots),
                new FakeLibvirt().pools(), qemu, new Repositories(List.of(roots), global, "", "", 1 << 20, 2, false));
        Path images = withQemuUser.create(domain.ref(), UUID.randomUUID());
        assertTrue(getfacl(images).contains("user:" + qemuUid + ":--x"), getfacl(images));
        Path work = withQemuUser.createForRepository(domain.ref(), UUID.randomUUID());
        assertFalse(getfacl(work).contains("user:" + qemuUid), getfacl(work));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(work)));
    }

    private static String getfacl(Path dir) throws Exception {
        Process p = new ProcessBuilder("getfacl", "--omit-header", "--numeric", dir.toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "getfacl (package acl) " + dir);
        return out;
    }

    @Test
    void aDirectoryTargetIsCheckedSetPersistedAndCleared() {
        Path own = roots.resolve("vm");
        router.assign(domain, BackupTarget.directory(own.toString()), false);
        assertEquals(Optional.of(BackupTarget.directory(own.toString())), router.get(domain.ref().uuid()));
        Path dir = router.create(domain.ref(), UUID.randomUUID());
        assertTrue(dir.startsWith(own), dir.toString());

        StorageRouter restarted = router();
        assertEquals(Optional.of(BackupTarget.directory(own.toString())), restarted.get(domain.ref().uuid()));
        assertEquals(List.of(dir), restarted.backups(), "backups in a domain's directory are found again");

        restarted.assign(domain, BackupTarget.global(), false);
        assertTrue(restarted.get(domain.ref().uuid()).isEmpty());
        assertEquals(List.of(dir), router().backups(), "a directory once used is still searched");
    }

    @Test
    void validateOnlyStoresNothing() {
        router.assign(domain, BackupTarget.directory(roots.resolve("vm").toString()), true);
        assertTrue(router.get(domain.ref().uuid()).isEmpty());
        assertTrue(router().get(domain.ref().uuid()).isEmpty());
    }

    @Test
    void aDirectoryOutsideTheRootsIsRefused() {
        for (String bad : List.of(tmp.resolve("elsewhere").toString(), roots.resolve("../elsewhere").toString(), "relative")) {
            BackupException e = assertThrows(BackupException.class,
                    () -> router.assign(domain, BackupTarget.directory(bad), false), bad);
            assertEquals(ErrorCode.INVALID_TARGET, e.code(), bad);
        }
        assertFalse(Files.exists(tmp.resolve("elsewhere")));
        assertTrue(router.get(domain.ref().uuid()).isEmpty());
    }

    @Test
    void aPoolTargetMustExist() {
        BackupException e = assertThrows(BackupException.class, () -> router.assign(domain, BackupTarget.pool("none"), false));
        assertEquals(ErrorCode.INVALID_TARGET, e.code());
        assertTrue(router.get(domain.ref().uuid()).isEmpty());
    }

    @Test
    void aServiceKindRoutesThereAndIsRefusedWhileItIsAway() {
        DirectoryTarget vault = DirectoryTarget.at(tmp.resolve("vault"), FakeLibvirt.qemuAsRoot());
        BackupException missing = assertThrows(BackupException.class,
                () -> router.assign(domain, BackupTarget.service("vault"), false));
        assertEquals(ErrorCode.INVALID_TARGET, missing.code());
        assertTrue(missing.getMessage().contains("'vault'"), missing.getMessage());

        assertEquals(List.of(), router.addKind("vault", vault));
        router.assign(domain, BackupTarget.service("vault"), false);
        Path dir = router.create(domain.ref(), UUID.randomUUID());
        assertTrue(dir.startsWith(vault.root()), dir.toString());

        router.removeKind("vault", vault);
        assertEquals(ErrorCode.INVALID_TARGET, assertThrows(BackupException.class,
                () -> router.create(domain.ref(), UUID.randomUUID())).code());
        assertEquals(List.of(dir), router().addKind("vault", vault), "its backups join when it returns");
    }

    @Test
    void removingABackupTakesOnlyItsOwnImagesAndDirectory() throws Exception {
        UUID backup = UUID.randomUUID();
        Path dir = router.create(domain.ref(), backup);
        Path image = Files.writeString(dir.resolve("vda.qcow2"), "data");
        Path outside = Files.writeString(tmp.resolve("not-ours.qcow2"), "precious");
        router.remove(backup, List.of(new BackupDisk("vda", "qcow2", image.toString(), 4, 4),
                new BackupDisk("vdb", "qcow2", outside.toString(), 8, 8)), dir);
        assertFalse(Files.exists(dir));
        assertFalse(Files.exists(dir.getParent()), "the domain's directory goes with its last backup");
        assertEquals("precious", Files.readString(outside));
    }
}
