package org.virtbackup.impl.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
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
 * per open disk, holding its FUSE and file system mounts. Each is named after the JVM that made
 * it (pid and start time: a restarted container's JVM may get the same pid), removed when its
 * disk closes; what a killed JVM left (mounts, loop devices, and with them nbdfuse and
 * qemu-nbd) is taken at the next start.
 */
final class WorkDirectories {

    private static final Logger LOG = LoggerFactory.getLogger(WorkDirectories.class);

    private final Path root;

    WorkDirectories(Path root) {
        this.root = root;
    }

    /** A new work directory, 0700, in a root that is ours alone (refused, not changed, when it is not). */
    Path create() {
        try {
            Paths.privateDirectory(root);
            if (Files.isSymbolicLink(root) || !Files.getOwner(root, LinkOption.NOFOLLOW_LINKS).getName()
                    .equals(System.getProperty("user.name"))
                    || !PosixFilePermissions.toString(Files.getPosixFilePermissions(root)).endsWith("------")) {
                throw new BackupException(ErrorCode.INVALID_STATE, root + " is not a directory of this service's user "
                        + "alone (0700, no link); remove it, or make it so: guest disks are opened in it");
            }
            return Files.createDirectory(root.resolve(jvm() + "-" + UUID.randomUUID()),
                    PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_DIR));
        } catch (IOException | UncheckedIOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create a work directory in " + root + ": "
                    + e.getMessage());
        }
    }

    /** Removes a work directory; one still holding a mount (an unmount failed) is left for the next start's sweep. */
    void remove(Path work) {
        List<Mount> left = mountsUnder(work);
        if (!left.isEmpty()) {
            LOG.warn("{} still holds mounts {}; it is removed at the next start", work, left);
            return;
        }
        try {
            Paths.deleteTree(work);
        } catch (IOException e) {
            LOG.warn("Cannot remove {}: {}", work, e.getMessage());
        }
    }

    /**
     * Takes what JVMs that are gone left: unmounts their file systems, detaches their loop
     * devices (one attached before its mount), unmounts their FUSE mounts last (which ends
     * nbdfuse and its qemu-nbd), and removes their directories; returns how many.
     */
    int sweep() {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        List<Path> orphans;
        try (var dirs = Files.list(root)) {
            orphans = dirs.filter(d -> !d.getFileName().toString().startsWith(jvm() + "-"))
                    .filter(WorkDirectories::ownerGone).toList();
        } catch (IOException e) {
            LOG.warn("Cannot list {}: {}", root, e.getMessage());
            return 0;
        }
        for (Path work : orphans) {
            List<Mount> mounts = new ArrayList<>(mountsUnder(work));
            mounts.sort(Comparator.comparing(Mount::fuse).thenComparing(m -> -m.point().getNameCount()));
            mounts.stream().filter(m -> !m.fuse()).forEach(m -> unmount(m.point()));
            detachLoops(work);
            mounts.stream().filter(Mount::fuse).forEach(m -> unmount(m.point()));
            remove(work);
        }
        return orphans.size();
    }

    /** This JVM: its pid and start time. */
    private static String jvm() {
        ProcessHandle self = ProcessHandle.current();
        return self.pid() + "-" + self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    /** Whether the JVM a directory is named after is gone: no process of that pid started at that time. */
    private static boolean ownerGone(Path work) {
        String[] f = work.getFileName().toString().split("-", 3);
        try {
            long start = Long.parseLong(f[1]);
            return ProcessHandle.of(Long.parseLong(f[0])).filter(ProcessHandle::isAlive)
                    .flatMap(p -> p.info().startInstant()).map(i -> i.toEpochMilli() != start).orElse(true);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            return true;
        }
    }

    private static void detachLoops(Path work) {
        Path real;
        try {
            real = work.toRealPath(); // losetup names real paths: scratch.directory may lie below a link
        } catch (IOException e) {
            real = work;
        }
        HostCommand.Result r = HostCommand.attempt("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE");
        for (String line : r.output().split("\n")) {
            String[] f = line.strip().split("\\s+", 2);
            if (f.length == 2 && f[1].startsWith(real + "/")) {
                HostCommand.attempt("losetup", "--detach", f[0]);
            }
        }
    }

    /** Unmounts; a busy mount is detached now and goes when released. */
    static void unmount(Path point) {
        if (HostCommand.attempt("umount", point.toString()).exit() != 0) {
            HostCommand.attempt("umount", "--lazy", point.toString());
        }
    }

    /** A mount point and whether it is a FUSE mount (nbdfuse's). */
    record Mount(Path point, boolean fuse) {
    }

    /** The mounts at or below the directory, from the kernel's table of this process's mounts. */
    static List<Mount> mountsUnder(Path dir) {
        List<Mount> found = new ArrayList<>();
        try {
            Path real = Files.exists(dir) ? dir.toRealPath() : dir; // the kernel's table names real paths
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = line.indexOf(" - ");
                if (f.length > 4 && dash > 0) {
                    Path point = Path.of(unescape(f[4]));
                    if (point.startsWith(real)) {
                        found.add(new Mount(point, line.substring(dash + 3).startsWith("fuse")));
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
            if (c == '\\' && i + 3 < field.length()
                    && field.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                s.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }
}
