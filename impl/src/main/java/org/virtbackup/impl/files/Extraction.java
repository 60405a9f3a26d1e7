package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.files.GuestFile;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.storage.NoSpace;

/**
 * Copies a file or a tree out of a guest file system into a directory: under a hidden partial
 * name first, given its own once whole and on disk, removed if the copy fails (a JVM killed
 * meanwhile leaves the {@code .NAME.partial-…} name, never taken for a copy). Links are
 * copied as links (never followed), device files, pipes and sockets are skipped; what is copied
 * is its owner's only (the owner's execute bit kept), its modification time kept.
 */
final class Extraction {

    private static final Set<PosixFilePermission> OWNER_EXEC_FILE = PosixFilePermissions.fromString("rwx------");

    private Extraction() {
    }

    /**
     * @param name the copy's name in the directory
     * @param shown how the source is named in the result's skipped paths ({@code vda/p1/etc})
     */
    static ExtractResult copy(Path source, String name, String shown, Path directory) {
        BasicFileAttributes top = attributes(source, shown);
        if (!top.isRegularFile() && !top.isDirectory() && !top.isSymbolicLink()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, shown + " is a device file, a pipe or a socket: "
                    + "nothing to copy");
        }
        Path dest = directory.resolve(name);
        if (Files.exists(dest, LinkOption.NOFOLLOW_LINKS)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, dest + " exists; extract into another directory");
        }
        long needed = bytesBelow(source);
        try {
            long free = Files.getFileStore(directory).getUsableSpace();
            if (needed > free) {
                throw new BackupException(ErrorCode.NO_SPACE, shown + " holds " + needed + " bytes and " + directory
                        + " has " + free + " free");
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read the free space of " + directory + ": " + e.getMessage());
        }
        Path partial = directory.resolve("." + name + ".partial-" + UUID.randomUUID());
        Copier copier = new Copier(source, partial, shown);
        try {
            requireStill(directory);
            Files.walkFileTree(source, copier);
            requireStill(directory); // no link swapped in for a part of it meanwhile
            Paths.syncDirectory(directory);
            publish(partial, dest, top);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            removeQuietly(partial);
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, dest + " exists; extract into another directory");
        } catch (IOException e) {
            String left = removeQuietly(partial) ? "nothing of it was kept" : "what was copied is left as " + partial;
            // Room checked before, yet gone: another writer took it, or the file system ran out of inodes.
            ErrorCode code = NoSpace.in(e.getMessage()) ? ErrorCode.NO_SPACE
                    : ErrorCode.IO_ERROR;
            throw new BackupException(code, "cannot copy " + shown + " to " + directory + ": " + GuestFile.printable(e.getMessage()) + "; "
                    + left);
        } catch (RuntimeException e) {
            removeQuietly(partial);
            throw e;
        }
        try {
            Paths.syncDirectory(directory);
            return new ExtractResult(dest, copier.files.get(), copier.bytes.get(), copier.skipped);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "copied " + shown + " to " + dest + ", but " + directory
                    + " could not be synced: " + e.getMessage() + "; the copy may not survive a crash of the host");
        }
    }

    /**
     * Gives the copy its name, never over anything: a file or link by a hard link (refused if the
     * name exists), then the partial name goes; a directory by a rename, which can only replace
     * an empty directory made meanwhile.
     */
    private static void publish(Path partial, Path dest, BasicFileAttributes top) throws IOException {
        if (top.isDirectory()) {
            Files.move(partial, dest);
        } else {
            Files.createLink(dest, partial);
            Files.delete(partial);
        }
    }

    private static void requireStill(Path directory) throws IOException {
        if (!directory.toRealPath().equals(directory)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, directory + " now leads to " + directory.toRealPath()
                    + "; nothing is copied there");
        }
    }

    private static BasicFileAttributes attributes(Path source, String shown) {
        try {
            return Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read " + shown + ": " + GuestFile.printable(e.getMessage()));
        }
    }

    private static long bytesBelow(Path source) {
        AtomicLong sum = new AtomicLong();
        try {
            Files.walkFileTree(source, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    if (a.isRegularFile()) {
                        sum.addAndGet(a.size());
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read " + GuestFile.printable(String.valueOf(source.getFileName())) + ": " + GuestFile.printable(e.getMessage()));
        }
        return sum.get();
    }

    /** Whether it is gone; if not, it stays under its hidden .partial name, never taken for a copy. */
    private static boolean removeQuietly(Path tree) {
        try {
            Paths.deleteTree(tree);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Walks the source (links not followed, walkFileTree's default) and copies into the partial tree. */
    private static final class Copier extends SimpleFileVisitor<Path> {
        private final Path source;
        private final Path target;
        private final String shown;
        final AtomicLong files = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        final List<String> skipped = new ArrayList<>();

        Copier(Path source, Path target, String shown) {
            this.source = source;
            this.target = target;
            this.shown = shown;
        }

        /** The place of a source path in the copy; Paths, not strings: a guest's name keeps its bytes, UTF-8 or not. */
        private Path to(Path p) {
            return target.resolve(source.relativize(p));
        }

        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) throws IOException {
            Files.createDirectory(to(dir), PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_DIR));
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
                throw e;
            }
            Files.setLastModifiedTime(to(dir), Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS));
            Paths.syncDirectory(to(dir)); // its entries on disk before the copy is named
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Path out = to(f);
            if (a.isSymbolicLink()) {
                Files.createSymbolicLink(out, Files.readSymbolicLink(f));
                files.incrementAndGet();
            } else if (a.isRegularFile()) {
                boolean exec = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                        .permissions().contains(PosixFilePermission.OWNER_EXECUTE);
                Set<PosixFilePermission> mode = exec ? OWNER_EXEC_FILE : Paths.OWNER_ONLY_FILE;
                // Created private, then filled: never readable by others, not even while written.
                try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                        FileChannel o = FileChannel.open(out, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                                PosixFilePermissions.asFileAttribute(mode))) {
                    for (long at = 0, size = in.size(), n = 1; at < size && n > 0; at += n) {
                        n = in.transferTo(at, size - at, o);
                    }
                    o.force(true);
                }
                Files.setPosixFilePermissions(out, mode); // the umask may have taken the owner's bits
                Files.setLastModifiedTime(out, a.lastModifiedTime());
                files.incrementAndGet();
                bytes.addAndGet(a.size());
            } else {
                skipped.add(shown + "/" + source.relativize(f));
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            throw e;
        }
    }
}
