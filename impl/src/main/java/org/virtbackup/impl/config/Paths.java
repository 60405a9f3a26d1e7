package org.virtbackup.impl.config;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Resolves configured paths and creates private directories and files. */
public final class Paths {

    private static final Logger LOG = LoggerFactory.getLogger(Paths.class);

    public static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PASSABLE_DIR = PosixFilePermissions.fromString("rwx--x--x");

    private Paths() {
    }

    /** The configured path with {@code ${karaf.data}} replaced, absolute and normalised. */
    public static Path resolve(String configured) {
        String data = System.getProperty("karaf.data", System.getProperty("java.io.tmpdir"));
        return Path.of(configured.replace("${karaf.data}", data)).toAbsolutePath().normalize();
    }

    /** A file's size, 0 when it cannot be read (gone, or never written). */
    public static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Removes a file if it is there; a failure is only logged (a leftover log file harms nobody). */
    public static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("Cannot remove {}: {}", file, e.getMessage());
        }
    }

    /** A comma-separated list of configured paths, each resolved; blanks are skipped. */
    public static List<Path> list(String configured) {
        return Arrays.stream(configured.split(",")).map(String::strip).filter(p -> !p.isEmpty())
                .map(Paths::resolve).toList();
    }

    /**
     * Creates the directory and its missing parents, each 0700. A directory that exists is left
     * as it is: its mode and owner are not ours to change (a shared /var/lib/libvirt/images is
     * read by QEMU running as another user).
     */
    public static Path privateDirectory(Path dir) {
        return directory(dir, OWNER_ONLY_DIR);
    }

    /**
     * Creates the directory and its missing parents, each 0711, as libvirt's own images directory:
     * anyone may pass through, nobody but root may list. For restored disks, which QEMU (another
     * user on a real host) opens through it; the images themselves are 0600, and libvirt hands
     * them to QEMU's user while the domain runs. A directory that exists is left as it is.
     */
    public static Path passableDirectory(Path dir) {
        return directory(dir, PASSABLE_DIR);
    }

    private static Path directory(Path dir, Set<PosixFilePermission> mode) {
        Path absolute = dir.toAbsolutePath().normalize();
        try {
            if (Files.isDirectory(absolute)) {
                return dir;
            }
            Path parent = absolute.getParent();
            if (parent != null) {
                directory(parent, mode);
            }
            Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(mode));
            // The umask may have taken bits away (x for others, of a passable directory).
            Files.setPosixFilePermissions(absolute, mode);
            return dir;
        } catch (FileAlreadyExistsException e) {
            if (Files.isDirectory(absolute)) {
                return dir; // made meanwhile by another thread
            }
            throw new UncheckedIOException("cannot create directory " + dir + ": a file of that name exists", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir, e);
        }
    }

    /**
     * Replaces a small file (a descriptor, a journal, a record) whole or not at all, readable by
     * its owner only: a temporary beside it, fsync, rename, fsync of the directory. A crash leaves
     * the old file or the new one, never a torn one, and a renamed file is on disk when this returns.
     */
    public static void writeDurably(Path file, String text) throws IOException {
        writeDurably(file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #writeDurably(Path, String)} for bytes. */
    public static void writeDurably(Path file, byte[] bytes) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        Path temp = directory.resolve("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        // A stream, not a FileChannel: an interrupt (a job stopped with its bundle) must not cut the write.
        try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
            out.write(bytes);
            out.getFD().sync();
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(directory);
    }

    /**
     * Removes a file, or a directory with everything below it, links not followed (a link is
     * removed, never what it names); nothing when it is not there, nor for what vanishes meanwhile
     * (a socket its server removes as it exits).
     */
    public static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Makes a directory's entries (files created, renamed, removed in it) durable. An interrupt
     * arriving meanwhile closes the channel: the entry is then as durable as the file system
     * makes it anyway, and the interrupt stays for the caller to see.
     */
    public static void syncDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (ClosedByInterruptException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * An empty file readable by its owner only, made before a program writes an image into it:
     * qemu-img keeps the mode of a file that exists, so the data is never readable by others,
     * not even while it is written. A file of that name is replaced.
     */
    public static Path privateFile(Path file) throws IOException {
        Files.deleteIfExists(file);
        return Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
    }

    /**
     * The real path of {@code path} (symlinks resolved, also of a part that does not exist yet:
     * through its nearest existing parent) if it lies inside the real path of one of the
     * {@code roots}; empty otherwise. So a symlink inside a root never leads outside it.
     */
    public static Optional<Path> realInside(Path path, List<Path> roots) throws IOException {
        Path real = real(path.toAbsolutePath().normalize());
        for (Path root : roots) {
            if (real.startsWith(real(root.toAbsolutePath().normalize()))) {
                return Optional.of(real);
            }
        }
        return Optional.empty();
    }

    /**
     * The first directory from {@code real} (a real path) up to {@code /} that someone but this
     * process's user and root could change: owned by another user, or writable by group or others
     * without the sticky bit. Whoever can change one can rename a directory below it and put a
     * link in its place between our check and our write, and our writes (as root) would follow it.
     */
    public static Optional<String> changeableByOthers(Path real) throws IOException {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        for (Path d = real; d != null; d = d.getParent()) {
            int uid = (Integer) Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(d, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            boolean sticky = (mode & 01000) != 0;
            if (uid != 0 && uid != self) {
                return Optional.of(d + " belongs to user " + uid);
            }
            if ((mode & 0022) != 0 && !sticky) {
                return Optional.of(d + " is writable by " + ((mode & 0002) != 0 ? "others" : "its group or an ACL entry")
                        + " (mode "
                        + Integer.toOctalString(mode & 07777) + ", no sticky bit)");
            }
        }
        return Optional.empty();
    }

    private static Path real(Path absolute) throws IOException {
        Path existing = absolute;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        return existing.toRealPath().resolve(existing.relativize(absolute)).normalize();
    }
}
