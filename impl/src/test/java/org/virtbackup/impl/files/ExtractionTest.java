package org.virtbackup.impl.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.api.files.GuestFile;

/** A guest's tree on real files (a mounted file system stands in): what is listed, resolved and copied out. */
class ExtractionTest {

    @TempDir
    Path tmp;

    private Path guest;
    private Path out;
    private final byte[] data = new byte[300_000];

    @BeforeEach
    void tree() throws Exception {
        new Random(7).nextBytes(data);
        guest = Files.createDirectories(tmp.resolve("guest"));
        Path etc = Files.createDirectories(guest.resolve("etc"));
        Files.write(etc.resolve("data.bin"), data);
        Files.setPosixFilePermissions(etc.resolve("data.bin"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.writeString(etc.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(etc.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setLastModifiedTime(etc.resolve("run.sh"), FileTime.from(Instant.parse("2020-01-02T03:04:05Z")));
        Files.createSymbolicLink(etc.resolve("passwd"), Path.of("/etc/shadow")); // the host's, if followed
        Files.createSymbolicLink(guest.resolve("config"), Path.of("etc"));
        new ProcessBuilder("mkfifo", etc.resolve("pipe").toString()).start().waitFor();
        out = Files.createDirectories(tmp.resolve("out"));
    }

    @Test
    void aDirectoryIsCopiedWithItsLinksAsLinksPrivateAndWholeUnderItsName() throws Exception {
        ExtractResult r = Extraction.copy(guest.resolve("etc"), "etc", "vda/p1/etc", out);

        Path etc = out.resolve("etc");
        assertEquals(etc, r.path());
        assertArrayEquals(data, Files.readAllBytes(etc.resolve("data.bin")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve("data.bin"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve("run.sh"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(etc)));
        assertEquals(Instant.parse("2020-01-02T03:04:05Z"), Files.getLastModifiedTime(etc.resolve("run.sh")).toInstant());
        assertTrue(Files.isSymbolicLink(etc.resolve("passwd")));
        assertEquals(Path.of("/etc/shadow"), Files.readSymbolicLink(etc.resolve("passwd")));
        assertFalse(Files.exists(etc.resolve("pipe"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of("vda/p1/etc/pipe"), r.skipped());
        assertEquals(3, r.files());
        assertEquals(data.length + 10, r.bytes());
        try (var left = Files.list(out)) {
            assertEquals(List.of(etc), left.toList()); // no partial name left
        }
    }

    @Test
    void nothingIsCopiedOverWhatIsThere() throws Exception {
        Files.writeString(out.resolve("data.bin"), "mine");
        BackupException e = assertThrows(BackupException.class,
                () -> Extraction.copy(guest.resolve("etc/data.bin"), "data.bin", "vda/etc/data.bin", out));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("mine", Files.readString(out.resolve("data.bin")));
    }

    @Test
    void aPathIsWalkedWithoutFollowingTheGuestsLinks() {
        assertEquals(guest.resolve("etc/data.bin"), GuestTree.resolve(guest, GuestTree.parts("/etc/data.bin/"), "vda"));
        BackupException through = assertThrows(BackupException.class,
                () -> GuestTree.resolve(guest, GuestTree.parts("config/data.bin"), "vda/p1"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, through.code());
        assertTrue(through.getMessage().contains("vda/p1/config is a link to etc"), through.getMessage());
        BackupException missing = assertThrows(BackupException.class,
                () -> GuestTree.resolve(guest, GuestTree.parts("etc/nope"), "vda"));
        assertTrue(missing.getMessage().contains("there is no vda/etc/nope"), missing.getMessage());
        for (String bad : List.of("../etc", "etc/./data.bin", "etc/..")) {
            assertEquals(ErrorCode.INVALID_ARGUMENT,
                    assertThrows(BackupException.class, () -> GuestTree.parts(bad)).code(), bad);
        }
    }

    @Test
    void aListingShowsLinksAsLinksWithTheirTargets() {
        List<GuestFile> etc = GuestTree.list(guest.resolve("etc"));
        assertEquals(List.of("data.bin", "passwd", "pipe", "run.sh"), etc.stream().map(GuestFile::name).toList());
        GuestFile passwd = etc.get(1);
        assertEquals(GuestFile.Type.LINK, passwd.type());
        assertEquals("/etc/shadow", passwd.detail());
        assertEquals(GuestFile.Type.OTHER, etc.get(2).type());
        assertEquals(new GuestFile("data.bin", GuestFile.Type.FILE, data.length, etc.get(0).modified(), null), etc.get(0));
        assertEquals(List.of(etc.get(0)), GuestTree.list(guest.resolve("etc/data.bin")));
    }

    @Test
    void aDirectoryOfMoreEntriesThanAListingReturnsIsRefusedNotLoaded() {
        assertEquals(4, GuestTree.list(guest.resolve("etc"), 4).size());
        BackupException e = assertThrows(BackupException.class, () -> GuestTree.list(guest.resolve("etc"), 3));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("more than 3 entries") && e.getMessage().contains("extract it"), e.getMessage());
    }

    @Test
    void aLinkItselfIsCopiedAsALinkAndAPipeItselfIsRefused() throws Exception {
        ExtractResult link = Extraction.copy(guest.resolve("etc/passwd"), "passwd", "vda/etc/passwd", out);
        assertEquals(new ExtractResult(out.resolve("passwd"), 1, 0, List.of()), link);
        assertEquals(Path.of("/etc/shadow"), Files.readSymbolicLink(out.resolve("passwd")));

        BackupException pipe = assertThrows(BackupException.class,
                () -> Extraction.copy(guest.resolve("etc/pipe"), "pipe", "vda/etc/pipe", out));
        assertEquals(ErrorCode.INVALID_ARGUMENT, pipe.code());
        assertTrue(pipe.getMessage().contains("vda/etc/pipe is a device file, a pipe or a socket"), pipe.getMessage());
        try (var left = Files.list(out)) {
            assertEquals(List.of(out.resolve("passwd")), left.toList());
        }
    }

    @Test
    void aGuestsNameCannotDriveTheTerminal() {
        assertEquals("a\\x1b[2Jb\\x0aextracted", GuestFile.printable("a\u001b[2Jb\nextracted"));
        assertEquals("ünïcode stays", GuestFile.printable("ünïcode stays"));
        assertEquals("invoice\\u202efdp.exe", GuestFile.printable("invoice\u202efdp.exe"), "no name reads as another");
        assertEquals("tag\\udb40\\udc41", GuestFile.printable("tag\udb40\udc41"), "U+E0041: four digits each half");
    }

    @Test
    void mountPointsAreReadAsTheKernelEscapesThem() {
        assertEquals("/run/a b\\c", WorkDirectories.unescape("/run/a\\040b\\134c"));
        assertEquals("/plain\\x", WorkDirectories.unescape("/plain\\x"));
    }
}
