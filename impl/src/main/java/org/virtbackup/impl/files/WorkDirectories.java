package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;

/**
 * The private directories where disks are opened ({@code files/} in the scratch directory), one
 * per open disk, holding its FUSE and file system mounts. Removed when the disk closes; what a
 * killed JVM left (mounts, and with them nbdfuse and qemu-nbd) is taken at the next start.
 */
final class WorkDirectories {

    private static final Logger LOG = LoggerFactory.getLogger(WorkDirectories.class);

    private final Path root;

    WorkDirectories(Path root) {
        this.root = root;
    }

    Path create() {
        try {
            Paths.privateDirectory(root);
            // Named after this JVM: a sweep takes only what a JVM that is gone left.
            return Files.createDirectory(root.resolve(ProcessHandle.current().pid() + "-" + UUID.randomUUID()));
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create a work directory in " + root + ": "
                    + e.getMessage());
        }
    }

    /** Removes a work directory; one still holding a mount (an unmount failed) is left for the next start's sweep. */
    void remove(Path work) {
        List<Path> left = mountsUnder(work);
        if (!left.isEmpty()) {
            LOG.warn("{} still holds mounts {}; it is removed at the next start", work, left);
            return;
        }
        try {
            Files.walkFileTree(work, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("Cannot remove {}: {}", work, e.getMessage());
        }
    }

    /**
     * Unmounts what a killed JVM left (file systems first, then the FUSE mounts, which ends
     * nbdfuse and its qemu-nbd) and removes it all; returns how many directories it took.
     * Directories of a JVM still running (this one, another Karaf sharing the directory) stay.
     */
    int sweep() {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        List<Path> orphans;
        try (var dirs = Files.list(root)) {
            orphans = dirs.filter(WorkDirectories::orphaned).toList();
        } catch (IOException e) {
            LOG.warn("Cannot list {}: {}", root, e.getMessage());
            return 0;
        }
        for (Path work : orphans) {
            List<Path> mounts = mountsUnder(work);
            mounts.sort(Comparator.comparingInt(Path::getNameCount).reversed());
            for (Path m : mounts) {
                if (HostCommand.attempt("umount", m.toString()).exit() != 0) {
                    HostCommand.attempt("umount", "--lazy", m.toString());
                }
            }
            remove(work);
        }
        return orphans.size();
    }

    private static boolean orphaned(Path work) {
        String name = work.getFileName().toString();
        int dash = name.indexOf('-');
        try {
            return dash < 0 || ProcessHandle.of(Long.parseLong(name.substring(0, dash))).map(p -> !p.isAlive()).orElse(true);
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /** The mount points at or below the directory, from the kernel's table of this process's mounts. */
    static List<Path> mountsUnder(Path dir) {
        List<Path> found = new ArrayList<>();
        try {
            Path real = Files.exists(dir) ? dir.toRealPath() : dir; // the kernel's table names real paths
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4) {
                    Path point = Path.of(unescape(f[4]));
                    if (point.startsWith(real)) {
                        found.add(point);
                    }
                }
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read /proc/self/mountinfo: " + e.getMessage());
        }
        return found;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes ({@code \040}). */
    static String unescape(String field) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                s.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }
}
