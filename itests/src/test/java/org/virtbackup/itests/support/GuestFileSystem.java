package org.virtbackup.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;

/**
 * An ext4 file system with 4 KiB blocks for a guest's disk, built offline: files are put in a
 * directory tree, {@code mkfs.ext4 -d} makes the file system from it (no loop device, no mount),
 * and {@link #writeTo} puts it on the guest's qcow2 image before the guest starts, either in
 * partition 1 of an MBR partition table made by sfdisk ({@link #partitioned}) or on the whole disk
 * ({@link #wholeDisk}). Files get mode 0644 and directories 0755 (readable by all in the guest),
 * files the modification time {@link #MODIFIED}.
 *
 * <p>{@link #diskOffset} says where a byte of a file lies on the disk, so that a test can
 * overwrite it in the running guest ({@link Guest#write}) as the guest's own write would.
 */
public final class GuestFileSystem {

    public static final int BLOCK = 4096;
    /** Where partition 1 starts, as fdisk puts it. */
    public static final long PARTITION_START = Sizes.MiB;
    /**
     * The boot code of the partitioned disk's MBR (sfdisk leaves zeros): cli; hlt; jmp back. The
     * BIOS boots the disk (it carries the boot signature) and the guest stops there, never
     * touching its disk, rather than running off into zeros.
     */
    private static final byte[] HALT = {(byte) 0xfa, (byte) 0xf4, (byte) 0xeb, (byte) 0xfd};
    /** The modification time of every file written. */
    public static final Instant MODIFIED = Instant.parse("2021-03-04T05:06:07Z");

    private final String mkfs = tool("mkfs.ext4");
    private final String debugfs = tool("debugfs");
    private final String sfdisk = tool("sfdisk");
    private final Path dir;
    private final Path tree;
    private final long diskSize;
    private final long start;
    private boolean needsRecovery;
    private boolean gpt;
    private long swapBytes;

    private GuestFileSystem(Path dir, long diskSize, long start) throws IOException {
        this.dir = dir;
        this.tree = Files.createDirectories(dir.resolve("tree"));
        this.diskSize = diskSize;
        this.start = start;
    }

    /** A disk of {@code diskSize} bytes with an MBR partition table, partition 1 from 1 MiB to its end ext4. */
    public static GuestFileSystem partitioned(Path dir, long diskSize) throws IOException {
        return new GuestFileSystem(dir, diskSize, PARTITION_START);
    }

    /** A disk of {@code diskSize} bytes that is one ext4 file system, without a partition table. */
    public static GuestFileSystem wholeDisk(Path dir, long diskSize) throws IOException {
        return new GuestFileSystem(dir, diskSize, 0);
    }

    /** The file system's size in bytes: partition 1's, or the disk's. */
    public long size() {
        // GPT keeps a copy of its table at the disk's end: 1 MiB is left there.
        return diskSize - start - swapBytes - (gpt ? Sizes.MiB : 0);
    }

    /** A GPT partition table rather than an MBR one (a partitioned disk only). */
    public GuestFileSystem gpt() {
        gpt = true;
        return this;
    }

    /** A swap partition of this size after the file system's (a partitioned disk only): p2. */
    public GuestFileSystem swap(long bytes) {
        swapBytes = bytes;
        return this;
    }

    /**
     * Marks the file system as a crashed guest leaves it: its journal needs recovery (ext4's
     * {@code needs_recovery}). The kernel mounts it, even read-only, only from a writable device,
     * replaying the journal into it.
     */
    public GuestFileSystem needingRecovery() {
        needsRecovery = true;
        return this;
    }

    /** A file (its directories made as needed), path relative to the file system's root. */
    public GuestFileSystem file(String path, byte[] bytes) throws IOException {
        Path file = tree.resolve(path);
        directory(tree.relativize(file.getParent()).toString());
        Files.write(file, bytes);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setLastModifiedTime(file, FileTime.from(MODIFIED));
        return this;
    }

    /** A directory, and its parents. */
    public GuestFileSystem directory(String path) throws IOException {
        for (Path d = tree.resolve(path); !d.equals(tree); d = d.getParent()) {
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return this;
    }

    /** A symbolic link at {@code path} to {@code target} (kept as written, relative or not). */
    public GuestFileSystem link(String path, String target) throws IOException {
        Path link = tree.resolve(path);
        directory(tree.relativize(link.getParent()).toString());
        Files.createSymbolicLink(link, Path.of(target));
        return this;
    }

    /**
     * Makes the file system and puts it, with the partition table if any, on the guest's image
     * (the empty qcow2 {@link Guest#startFilled} hands over): the image is replaced by a qcow2
     * of the same size.
     */
    public void writeTo(Path image) {
        try {
            Path fs = dir.resolve("fs.img");
            try (FileChannel ch = FileChannel.open(fs, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(1), size() - 1); // a sparse file of the size
            }
            Cmd.ok(mkfs, "-q", "-F", "-b", Integer.toString(BLOCK), "-d", tree.toString(), fs.toString());
            if (needsRecovery) {
                Cmd.ok(debugfs, "-w", "-R", "feature needs_recovery", fs.toString());
            }
            Path raw = fs;
            if (start > 0) {
                raw = dir.resolve("disk.raw");
                try (FileChannel disk = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    disk.write(ByteBuffer.allocate(1), diskSize - 1);
                }
                String table = "start=" + start / 512 + ", size=" + size() / 512 + ", type=L\n"
                        + (swapBytes > 0 ? "start=" + (start + size()) / 512 + ", size=" + swapBytes / 512 + ", type=S\n" : "");
                Cmd.ok("sh", "-c", "printf '" + table + "' | " + sfdisk + " --quiet --label " + (gpt ? "gpt " : "dos ") + raw);
                if (swapBytes > 0) {
                    Path swap = dir.resolve("swap.img");
                    try (FileChannel ch = FileChannel.open(swap, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.allocate(1), swapBytes - 1);
                    }
                    Cmd.ok(tool("mkswap"), "-q", swap.toString());
                    try (FileChannel disk = FileChannel.open(raw, StandardOpenOption.WRITE);
                            FileChannel part = FileChannel.open(swap, StandardOpenOption.READ)) {
                        for (long done = 0; done < swapBytes; ) {
                            done += part.transferTo(done, swapBytes - done, disk.position(start + size() + done));
                        }
                    }
                }
                try (FileChannel disk = FileChannel.open(raw, StandardOpenOption.WRITE);
                        FileChannel part = FileChannel.open(fs, StandardOpenOption.READ)) {
                    disk.write(ByteBuffer.wrap(HALT), 0);
                    disk.position(start);
                    for (long done = 0; done < size(); ) {
                        done += part.transferTo(done, size() - done, disk);
                    }
                }
            }
            Cmd.ok("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), image.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Where a byte of a file lies on the disk: the file system block holding it (debugfs's
     * {@code bmap}) and the partition's start. Only after {@link #writeTo}.
     */
    public long diskOffset(String path, long fileOffset) {
        String out = Cmd.ok(debugfs, "-R", "bmap /" + path + " " + fileOffset / BLOCK, dir.resolve("fs.img").toString());
        List<String> numbers = out.lines().map(String::strip).filter(l -> l.matches("\\d+")).toList();
        if (numbers.size() != 1 || numbers.get(0).equals("0")) {
            throw new AssertionError("debugfs found no block of /" + path + " at " + fileOffset + ":\n" + out);
        }
        return start + Long.parseLong(numbers.get(0)) * BLOCK + fileOffset % BLOCK;
    }

    /** The program's path (on the PATH or in /usr/sbin): tests never skip, without e2fsprogs they fail saying how to fix it. */
    private static String tool(String name) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Path.of(d, name).toString();
            }
        }
        throw new AssertionError(name + " is not installed; install Debian's e2fsprogs and fdisk: sudo scripts/setup-host.sh");
    }
}
