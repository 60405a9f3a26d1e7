package org.virtbackup.impl.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Resolves configured paths and creates private directories and files. */
public final class Paths {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Paths.class);

    public static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

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
    public static java.util.List<Path> list(String configured) {
        return java.util.Arrays.stream(configured.split(",")).map(String::strip).filter(p -> !p.isEmpty())
                .map(Paths::resolve).toList();
    }

    /** Creates the directory and its missing parents; the directory itself ends up 0700. */
    public static Path privateDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory " + dir, e);
        }
    }
}
