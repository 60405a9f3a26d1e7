package org.virtbackup.impl.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.StoragePools;
import org.virtbackup.impl.qemu.QemuAccess;

/**
 * Images that per-disk targets put outside their backup's directory: a new file inside the
 * target roots, or a new volume of a pool. Each is made new (never over anything), and only then
 * recorded in the backup directory's {@value #RECORD}: that record, not the descriptor, is what
 * lets a deletion, a failed start or the start-up sweep remove a file outside the directory. A
 * crash between making one and recording it leaves that image behind; recording first could
 * make us remove a file someone else made there meanwhile.
 */
public final class PlacedImages {

    static final String RECORD = "placed-images";
    private static final List<Path> SYSTEM = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

    private final List<Path> roots;
    private final Supplier<Set<Path>> targetDirectories;
    private final StoragePools pools;
    private final QemuAccess qemu;

    /**
     * @param roots where a placed file may lie ({@code target.roots})
     * @param targetDirectories the directory targets' roots, whose trees are theirs alone
     */
    PlacedImages(List<Path> roots, Supplier<Set<Path>> targetDirectories, StoragePools pools, QemuAccess qemu) {
        this.roots = List.copyOf(roots);
        this.targetDirectories = targetDirectories;
        this.pools = pools;
        this.qemu = qemu;
    }

    /** Checks that the disk's image may go where its target says, before anything is made. */
    public void check(String disk, DiskTarget target) {
        if (target.inPool()) {
            pools.require(target.pool());
        } else {
            checkFile(disk, Path.of(target.file()));
        }
    }

    /** Makes the disk's image where its target says, 0600 and empty, and records it in the backup's directory. */
    public Path place(Path backupDirectory, String disk, DiskTarget target, long capacity) {
        Path image = target.inPool() ? volume(target, capacity) : file(disk, Path.of(target.file()));
        try {
            List<Path> placed = new ArrayList<>(in(backupDirectory));
            placed.add(image);
            Paths.writeDurably(backupDirectory.resolve(RECORD), String.join("\n", placed.stream().map(Path::toString)
                    .toList()) + "\n");
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot record " + image + " in " + backupDirectory + ": "
                    + e.getMessage(), e);
        }
        return image;
    }

    /** What a placed image's free space is counted in: its file system, or its pool. */
    public Object space(DiskTarget target) {
        if (target.inPool()) {
            return "pool " + target.pool();
        }
        try {
            return Files.getFileStore(Path.of(target.file()).toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read the file system where " + target.file()
                    + " goes: " + e.getMessage(), e);
        }
    }

    /** Bytes free where a placed image goes: its file system or its pool. */
    public long available(DiskTarget target) {
        if (target.inPool()) {
            return pools.available(target.pool());
        }
        try {
            return Files.getFileStore(Path.of(target.file()).toAbsolutePath().getParent()).getUsableSpace();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read the free space where " + target.file()
                    + " goes: " + e.getMessage(), e);
        }
    }

    /** The images recorded as placed for the backup in this directory. */
    public static List<Path> in(Path backupDirectory) {
        Path record = backupDirectory.resolve(RECORD);
        try {
            return Files.exists(record) ? Files.readAllLines(record).stream().filter(l -> !l.isBlank()).map(Path::of)
                    .toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + record, e);
        }
    }

    /** The real path a target file names, inside the roots, outside the targets' trees, in a directory that exists. */
    private Path checkFile(String disk, Path asked) {
        String what = "disk " + disk + ": target file " + asked;
        Path real;
        try {
            real = Paths.realInside(asked, roots).orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET,
                    what + " is not inside the target roots " + roots + " (on its real path, symlinks followed)"));
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + ": " + e.getMessage(), e);
        }
        if (SYSTEM.stream().anyMatch(real::startsWith)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + " lies in " + real.getName(0)
                    + ", which holds no files for backups");
        }
        Set<Path> owned = new LinkedHashSet<>(targetDirectories.get().stream().map(PlacedImages::realQuietly).toList());
        if (owned.stream().anyMatch(real::startsWith)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + " lies in a backup target's own directory "
                    + "tree; put it beside, not inside " + owned.stream().filter(real::startsWith).findFirst().get());
        }
        Path parent = real.getParent();
        if (!Files.isDirectory(parent)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + ": directory " + parent + " does not exist");
        }
        if (Files.exists(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + " exists; a backup never writes over a file");
        }
        return real;
    }

    private Path file(String disk, Path asked) {
        String what = "disk " + disk + ": target file " + asked;
        Path real = checkFile(disk, asked);
        Path parent = real.getParent();
        try {
            Files.createFile(real, PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_FILE));
        } catch (FileAlreadyExistsException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + " exists; a backup never writes over a file");
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, what + ": cannot create it: " + e.getMessage(), e);
        }
        // libvirt's push mode has QEMU write the image: its user may pass through to it (x only, nothing listed).
        qemu.traverse(passage(parent));
        return real;
    }

    private Path volume(DiskTarget target, long capacity) {
        pools.require(target.pool());
        return pools.create(target.pool(), target.volume(), capacity);
    }

    /** The directories from the root holding {@code dir} down to it. */
    private List<Path> passage(Path dir) {
        List<Path> chain = new ArrayList<>();
        for (Path d = dir; d != null && roots.stream().map(PlacedImages::realQuietly).anyMatch(d::startsWith);
                d = d.getParent()) {
            chain.add(0, d);
        }
        return chain;
    }

    private static Path realQuietly(Path root) {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            return root.toAbsolutePath().normalize();
        }
    }
}
