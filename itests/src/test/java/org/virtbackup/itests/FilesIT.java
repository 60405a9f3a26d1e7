package org.virtbackup.itests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.api.ErrorCode.INVALID_ARGUMENT;
import static org.virtbackup.api.ErrorCode.NO_BACKUP;
import static org.virtbackup.api.ErrorCode.NO_DISK;
import static org.virtbackup.api.ErrorCode.NOT_SUPPORTED;
import static org.virtbackup.api.ErrorCode.NO_SPACE;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.api.files.GuestFile;
import org.virtbackup.api.files.GuestFile.Type;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.GuestFileSystem;
import org.virtbackup.itests.support.Mounts;
import org.virtbackup.itests.support.Tmpfs;

/**
 * Single files out of a backup ({@link BackupFiles}): a guest's ext4 file system, made offline in
 * partition 1 of an MBR partition table or on the whole disk, is listed in its backups, and files
 * and directories come out of them byte for byte (links as links, readable by their owner only) as
 * they were at each backup's point, from images and from a repository, through incremental chains.
 * Bad paths and destinations are refused and write nothing.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FilesIT extends RepositoryTestSupport {

    private static final long KiB = 1024;

    @Test
    public void aPartitionsFilesAreListedAndCopiedOutOfAFullBackupByteForByte() throws Exception {
        BackupService backups = backupService();
        BackupFiles files = backupFiles();
        byte[] random = random(4 * MiB);
        byte[] a = "alpha\n".getBytes(UTF_8);
        byte[] b = random(10_000);
        byte[] c = "gamma\n".getBytes(UTF_8);
        GuestFileSystem fs = GuestFileSystem.partitioned(scratchDir("fs"), SIZE).file("random.bin", random)
                .file("docs/a.txt", a).file("docs/b.bin", b).file("docs/old/c.txt", c).link("docs/latest", "a.txt");
        try (Guest guest = Guest.startFilled(workDir(), "it-files", SIZE, fs::writeTo)) {
            UUID full = backup(backups, guest, null, Set.of()).uuid();

            assertEquals(List.of("vda VOLUME " + SIZE), describe(files.listFiles(full, null, null)));
            List<GuestFile> root = files.listFiles(full, "vda", null);
            assertEquals(List.of(new GuestFile("p1", Type.VOLUME, fs.size(), null, "ext4")), root);
            assertEquals(root, files.listFiles(full, "vda", "/"));
            assertEquals(List.of("docs DIRECTORY", "lost+found DIRECTORY", "random.bin FILE " + random.length),
                    describe(files.listFiles(full, "vda", "p1")));
            assertEquals(List.of("a.txt FILE 6", "b.bin FILE 10000", "latest LINK a.txt", "old DIRECTORY"),
                    describe(files.listFiles(full, "vda", "p1/docs")));
            List<GuestFile> alone = files.listFiles(full, "vda", "p1/random.bin");
            assertEquals("a file lists itself alone", List.of("random.bin FILE " + random.length), describe(alone));
            assertEquals(GuestFileSystem.MODIFIED, alone.get(0).modified());

            Path out = scratchDir("files-out");
            Path real = out.toRealPath(); // what the result names
            ExtractResult file = files.extract(full, "vda", "p1/random.bin", out);
            assertEquals(new ExtractResult(real.resolve("random.bin"), 1, random.length, List.of()), file);
            assertArrayEquals(random, Files.readAllBytes(out.resolve("random.bin")));

            ExtractResult dir = files.extract(full, "vda", "p1/docs", out);
            assertEquals("three files and a link, holding the files' bytes", new ExtractResult(real.resolve("docs"), 4,
                    a.length + b.length + c.length, List.of()), dir);
            assertArrayEquals(a, Files.readAllBytes(out.resolve("docs/a.txt")));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("docs/b.bin")));
            assertArrayEquals(c, Files.readAllBytes(out.resolve("docs/old/c.txt")));
            assertTrue("copied as a link", Files.isSymbolicLink(out.resolve("docs/latest")));
            assertEquals(Path.of("a.txt"), Files.readSymbolicLink(out.resolve("docs/latest")));
            List<String> copied = List.of("docs", "docs/a.txt", "docs/b.bin", "docs/latest", "docs/old", "docs/old/c.txt",
                    "random.bin");
            assertEquals(copied, filesUnder(out));
            assertOwnerOnly(out);

            // Refused, writing nothing: a name already there, a path to nothing, a directory outside the restore roots.
            expectError(INVALID_ARGUMENT, () -> files.extract(full, "vda", "p1/random.bin", out));
            assertArrayEquals(random, Files.readAllBytes(out.resolve("random.bin")));
            expectError(INVALID_ARGUMENT, () -> files.extract(full, "vda", "p1/nope", out));
            expectError(INVALID_ARGUMENT, () -> files.listFiles(full, "vda", "p1/nope"));
            assertEquals(copied, filesUnder(out));
            assertNothingLeftOpen();
            Path outside = Files.createTempDirectory(Path.of("/tmp"), "files-outside-restore-roots");
            try {
                expectError(INVALID_ARGUMENT, () -> files.extract(full, "vda", "p1/random.bin", outside));
                assertEquals(List.of(), filesUnder(outside));
            } finally {
                Cmd.run("rm", "-rf", outside.toString());
            }
            // A directory others may change (a link they put there would take our writes as root): refused.
            Path open = scratchDir("files-open");
            Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            expectError(INVALID_ARGUMENT, () -> files.extract(full, "vda", "p1/random.bin", open));
            assertEquals(List.of(), filesUnder(open));
            // No room: refused before a byte is written when the bytes do not fit; a copy that runs out partway
            // (inodes here, as when another writer takes the space) is removed whole, partial name included.
            try (Tmpfs small = Tmpfs.mount(scratchDir("files-small"), MiB)) {
                expectError(NO_SPACE, () -> files.extract(full, "vda", "p1/random.bin", small.path()));
                assertEquals(List.of(), filesUnder(small.path()));
            }
            try (Tmpfs few = Tmpfs.mount(scratchDir("files-few-inodes"), 64 * MiB, 4)) {
                BackupException e = expectError(NO_SPACE, () -> files.extract(full, "vda", "p1/docs", few.path()));
                assertTrue(e.getMessage(), e.getMessage().contains("nothing of it was kept"));
                assertEquals(List.of(), filesUnder(few.path()));
                assertEquals("and the file system has its inodes back", 4, inodesFree(few.path()) + 1);
            }
            assertNothingLeftOpen();
            // The operator's commands; a viewer, who reads the catalogue, reads no backup's files.
            String listed = executeCommand("backup:files " + full + " vda p1/docs");
            assertTrue(listed, listed.contains("latest -> a.txt") && listed.contains("b.bin") && listed.contains("directory"));
            Path shellOut = scratchDir("files-shell");
            String extracted = executeCommand("backup:extract " + full + " vda p1/docs/b.bin --to " + shellOut);
            assertTrue(extracted, extracted.contains("extracted " + shellOut.toRealPath().resolve("b.bin") + ": 1 files"));
            assertArrayEquals(b, Files.readAllBytes(shellOut.resolve("b.bin")));
            for (String denied : List.of("backup:files " + full, "backup:extract " + full + " vda p1 --to " + shellOut)) {
                AssertionError refused = assertThrows(AssertionError.class, () -> executeCommandAs(denied, "viewer"));
                assertTrue(refused.getMessage(), refused.getMessage().contains("Command not found: " + denied.split(" ")[0]));
            }
            assertThrows(SecurityException.class, () -> as(subject("viewer"), () -> files.listFiles(full, null, null)));
            assertThrows(SecurityException.class,
                    () -> as(subject("viewer"), () -> files.extract(full, "vda", "p1/docs", shellOut)));
            assertEquals(List.of("b.bin"), filesUnder(shellOut));

            expectError(NO_DISK, () -> files.listFiles(full, "vdq", null));
            expectError(NO_BACKUP, () -> files.listFiles(UUID.randomUUID(), null, null));
            backups.delete(full, Set.of());
        }
    }

    @Test
    public void aFileComesOutAsItWasAtEachPointOfAnIncrementalChain() throws Exception {
        BackupService backups = backupService();
        BackupFiles files = backupFiles();
        byte[] original = random(4 * MiB);
        // As a crashed guest leaves it, and a backup of a running one holds it: its journal to replay.
        // On GPT with a swap partition after it.
        GuestFileSystem fs = GuestFileSystem.partitioned(scratchDir("fs"), SIZE).gpt().swap(8 * MiB)
                .file("random.bin", original).needingRecovery();
        try (Guest guest = Guest.startFilled(workDir(), "it-files-chain", SIZE, fs::writeTo)) {
            Backup full = backup(backups, guest, null, Set.of());
            Path fullImage = Path.of(full.disks().get(0).target());
            String fullBefore = sha256(fullImage);
            byte[] changed = overwrite(guest, fs, "random.bin", original, 0x5a, 1 * MiB, 64 * KiB);
            Backup incremental = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(full.uuid(), incremental.parent());
            assertEquals(List.of("p1 VOLUME " + fs.size() + " ext4", "p2 OTHER swap"),
                    describe(files.listFiles(incremental.uuid(), "vda", null)));
            expectError(NOT_SUPPORTED, () -> files.listFiles(incremental.uuid(), "vda", "p2"));
            assertNothingLeftOpen();

            assertArrayEquals("the file at the incremental's point", changed,
                    extracted(files, incremental.uuid(), "p1/random.bin"));
            assertArrayEquals("the file at the full backup's point, before the guest wrote", original,
                    extracted(files, full.uuid(), "p1/random.bin"));
            assertEquals("the journal was replayed into a throw-away overlay, not into the backup", fullBefore,
                    sha256(fullImage));
            assertNothingLeftOpen();
            backups.delete(full.uuid(), EnumSet.of(DeleteFlag.ALL_CHILDREN));
        }
    }

    @Test
    public void aRepositoryBackupOfADiskWithoutPartitionTableShowsItsFileSystemAtTheRootAndGivesItsFilesBack()
            throws Exception {
        BackupService backups = backupService();
        BackupFiles files = backupFiles();
        String url = repository("files");
        byte[] original = random(3 * MiB);
        byte[] hostname = "it-files\n".getBytes(UTF_8);
        GuestFileSystem fs = GuestFileSystem.wholeDisk(scratchDir("fs"), SIZE).file("random.bin", original)
                .file("etc/hostname", hostname).needingRecovery();
        try (Guest guest = Guest.startFilled(workDir(), "it-files-repo", SIZE, fs::writeTo)) {
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup full = backup(backups, guest, null, Set.of());
            assertTrue(full.inRepository());
            assertEquals(List.of("etc DIRECTORY", "lost+found DIRECTORY", "random.bin FILE " + original.length),
                    describe(files.listFiles(full.uuid(), "vda", null)));
            assertArrayEquals(hostname, extracted(files, full.uuid(), "etc/hostname"));

            byte[] changed = overwrite(guest, fs, "random.bin", original, 0xa5, 2 * MiB, 64 * KiB);
            Backup incremental = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(full.uuid(), incremental.parent());
            assertArrayEquals(changed, extracted(files, incremental.uuid(), "random.bin"));
            assertArrayEquals(original, extracted(files, full.uuid(), "random.bin"));
            assertNothingLeftOpen();
            backups.delete(full.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.collect(url);
        }
    }

    /**
     * Overwrites {@code length} bytes of a file at {@code offset} with a pattern in the running
     * guest, where the file's blocks lie on its disk, as the guest writing the file would; returns
     * the file's bytes after.
     */
    private static byte[] overwrite(Guest guest, GuestFileSystem fs, String path, byte[] bytes, int pattern, long offset,
            long length) throws Exception {
        long at = fs.diskOffset(path, offset);
        assertEquals("the range lies in one extent of the file (a fresh file system, written at once)",
                at + length - 1, fs.diskOffset(path, offset + length - 1));
        guest.write(0, pattern, at, length);
        byte[] after = bytes.clone();
        Arrays.fill(after, Math.toIntExact(offset), Math.toIntExact(offset + length), (byte) pattern);
        return after;
    }

    /** Copies a file of the backup's vda out into a new directory, checks what it says and the mode, returns its bytes. */
    private byte[] extracted(BackupFiles files, UUID backup, String path) throws IOException {
        Path out = scratchDir("files-out");
        ExtractResult r = files.extract(backup, "vda", path, out);
        Path copy = out.toRealPath().resolve(Path.of(path).getFileName());
        byte[] bytes = Files.readAllBytes(copy);
        assertEquals(new ExtractResult(copy, 1, bytes.length, List.of()), r);
        assertOwnerOnly(out);
        return bytes;
    }

    /** Everything copied under the directory, links aside, is its owner's alone: no group or other bit. */
    private static void assertOwnerOnly(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(p -> !p.equals(dir) && !Files.isSymbolicLink(p)).toList()) {
                Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                assertTrue(p + " is readable by its owner only: " + PosixFilePermissions.toString(mode),
                        mode.contains(PosixFilePermission.OWNER_READ)
                                && mode.stream().allMatch(m -> m.name().startsWith("OWNER_")));
            }
        }
    }

    /** A listing as "name TYPE", a file's or volume's size, and the detail: to compare at a glance. */
    private static List<String> describe(List<GuestFile> entries) {
        return entries.stream().map(e -> e.name() + " " + e.type()
                + (e.type() == Type.FILE || e.type() == Type.VOLUME ? " " + e.size() : "")
                + (e.detail() == null ? "" : " " + e.detail())).toList();
    }

    /**
     * Every call closed what it opened: no work directory, no mount (FUSE or file system), no
     * loop device over a disk file, no nbdfuse or qemu-nbd of ours.
     */
    private static void assertNothingLeftOpen() throws IOException {
        Path work = Path.of(System.getProperty("karaf.data"), "virt-backup-scratch", "files");
        assertEquals(List.of(), filesUnder(work));
        String real = (Files.exists(work) ? work.toRealPath() : work).toString();
        assertEquals(List.of(), Mounts.under(Path.of(real)));
        assertEquals(List.of(), Mounts.loopsOver(Path.of(real)));
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine()
                .map(c -> c.contains(real) || c.contains("qemu-nbd") && c.contains("--snapshot")).orElse(false)));
    }

    private static long inodesFree(Path mount) {
        return Long.parseLong(Cmd.ok("stat", "--file-system", "--format=%d", mount.toString()).strip());
    }

    private static String sha256(Path file) {
        return Cmd.ok("sha256sum", file.toString()).split(" ")[0];
    }

    private static byte[] random(long length) {
        byte[] bytes = new byte[Math.toIntExact(length)];
        new SplittableRandom().nextBytes(bytes);
        return bytes;
    }
}
