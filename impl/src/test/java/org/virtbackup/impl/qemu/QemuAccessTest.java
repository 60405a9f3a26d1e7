package org.virtbackup.impl.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.impl.fakes.FakeLibvirt;

/** Real ACLs (setfacl and getfacl, package acl) on a temporary directory, for a made-up QEMU user. */
class QemuAccessTest {

    private static final int QEMU_UID = 64123;

    @TempDir
    Path tmp;

    private final FakeLibvirt libvirt = new FakeLibvirt();
    private final QemuAccess access = new QemuAccess(libvirt::qemuUid);

    @Test
    void qemusUserAloneMayPassAndLosesItAgain() throws Exception {
        libvirt.qemuUid = OptionalInt.of(QEMU_UID);
        Path dir = access.privateDirectory(tmp.resolve("backups/vm"), "target.directory");
        access.traverse(List.of(dir));
        String acl = getfacl(dir);
        assertTrue(acl.contains("user:" + QEMU_UID + ":--x"), acl);
        assertTrue(acl.contains("group::---") && acl.contains("other::---"), acl);
        access.privateDirectory(dir, "scratch.directory"); // QEMU's entry is ours: still private

        access.revoke(dir);
        assertFalse(getfacl(dir).contains("user:" + QEMU_UID), getfacl(dir));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void aSocketDirectoryLetsQemuCreateButNotList() throws Exception {
        libvirt.qemuUid = OptionalInt.of(QEMU_UID);
        Path run = tmp.resolve("run");
        access.workDirectories(run, tmp.resolve("scratch"));
        assertTrue(getfacl(run).contains("user:" + QEMU_UID + ":-wx"), getfacl(run));
        assertTrue(getfacl(tmp.resolve("scratch")).contains("user:" + QEMU_UID + ":--x"));
    }

    @Test
    void aJobAfterTheFirstFindsItsEntriesWithOneGetfacl() throws Exception {
        libvirt.qemuUid = OptionalInt.of(QEMU_UID);
        List<String> ran = new ArrayList<>();
        QemuAccess counted = new QemuAccess(libvirt::qemuUid, command -> {
            ran.add(String.join(" ", command));
            return QemuAccess.run(command);
        });
        Path run = tmp.resolve("run");
        Path scratch = tmp.resolve("scratch");
        counted.workDirectories(run, scratch);
        assertEquals(List.of("setfacl -m u:" + QEMU_UID + ":-wx " + run, "setfacl -m u:" + QEMU_UID + ":--x " + scratch), ran);

        ran.clear();
        counted.workDirectories(run, scratch);
        assertEquals(List.of("getfacl --numeric --absolute-names " + run + " " + scratch), ran);
        assertTrue(getfacl(run).contains("user:" + QEMU_UID + ":-wx"), getfacl(run));
    }

    @Test
    void anEntryTheMaskCutsOrOfOtherPermissionsIsMadeRight() throws Exception {
        libvirt.qemuUid = OptionalInt.of(QEMU_UID);
        Path run = Files.createDirectory(tmp.resolve("run"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path scratch = Files.createDirectory(tmp.resolve("scratch"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        setfacl(run, "-m", "u:" + QEMU_UID + ":-wx,m::--x"); // QEMU could pass but not create its socket
        setfacl(scratch, "-m", "u:" + QEMU_UID + ":r-x"); // QEMU could list the scratch files

        access.workDirectories(run, scratch);
        assertTrue(getfacl(run).contains("user:" + QEMU_UID + ":-wx\n"), getfacl(run));
        assertFalse(getfacl(run).contains("effective"), getfacl(run));
        assertTrue(getfacl(scratch).contains("user:" + QEMU_UID + ":--x\n"), getfacl(scratch));
    }

    @Test
    void oneDirectoryForSocketsAndScratchLetsQemuCreate() throws Exception {
        libvirt.qemuUid = OptionalInt.of(QEMU_UID);
        Path both = tmp.resolve("work");
        access.workDirectories(both, both);
        assertTrue(getfacl(both).contains("user:" + QEMU_UID + ":-wx"), getfacl(both));
    }

    @Test
    void aDirectoryOthersMayEnterIsRefusedNotChangedWhateverGaveThemIn() throws Exception {
        libvirt.qemuUid = OptionalInt.of(QEMU_UID);
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        BackupException e = assertThrows(BackupException.class, () -> access.privateDirectory(open, "scratch.directory"));
        assertTrue(e.getMessage().contains("scratch.directory " + open + " is open to others (rwxr-xr-x)"), e.getMessage());
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(open)));

        Path shared = Files.createDirectory(tmp.resolve("shared"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        setfacl(shared, "-m", "u:" + (QEMU_UID + 1) + ":rx");
        e = assertThrows(BackupException.class, () -> access.privateDirectory(shared, "runtime.directory"));
        assertTrue(e.getMessage().contains("user:" + (QEMU_UID + 1) + ":r-x"), e.getMessage());

        // Read with another directory's ACL in one getfacl: the entry is laid at the right door.
        Path run = tmp.resolve("run");
        access.workDirectories(run, tmp.resolve("scratch"));
        e = assertThrows(BackupException.class, () -> access.workDirectories(run, shared));
        assertTrue(e.getMessage().startsWith("scratch.directory " + shared + " is open to others (rwxr-x---, ACL user:"
                + (QEMU_UID + 1) + ":r-x"), e.getMessage());
    }

    @Test
    void nothingIsGrantedWhenQemuRunsAsRoot() throws Exception {
        Path dir = access.privateDirectory(tmp.resolve("d"), "runtime.directory");
        access.workDirectories(dir, tmp.resolve("scratch"));
        access.traverse(List.of(dir));
        for (Path d : List.of(dir, tmp.resolve("scratch"))) {
            String acl = getfacl(d);
            assertFalse(acl.replace("user::", "").contains("user:"), acl);
        }
    }

    private static void setfacl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("setfacl"));
        cmd.addAll(List.of(args));
        cmd.add(dir.toString());
        assertEquals(0, new ProcessBuilder(cmd).inheritIO().start().waitFor(), String.join(" ", cmd));
    }

    private static String getfacl(Path dir) throws Exception {
        Process p = new ProcessBuilder("getfacl", "--omit-header", "--numeric", dir.toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "getfacl (package acl) " + dir);
        return out;
    }
}
