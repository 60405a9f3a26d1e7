package org.virtbackup.impl.repository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.repository.ObjectStore;
import org.virtbackup.repository.ObjectStoreProvider;

/**
 * Where a repository URL leads, checked: a directory inside the target roots on its real path
 * (never inside the default target directory, whose directories are backups), or a bucket that
 * exactly one configured S3 endpoint serves; and whether a repository may be made there.
 */
final class RepositoryLocator {

    private final List<Path> roots;
    private final Path defaultTarget;
    private final Supplier<List<ObjectStoreProvider>> providers;

    RepositoryLocator(List<Path> roots, Path defaultTarget, Supplier<List<ObjectStoreProvider>> providers) {
        this.roots = List.copyOf(roots);
        this.defaultTarget = defaultTarget;
        this.providers = providers;
    }

    /** A local repository's directory: its real path, inside the roots, a directory if it exists. */
    Path directory(RepositoryUrl url) {
        try {
            Path real = Paths.realInside(url.directory(), roots).orElseThrow(() -> new BackupException(
                    ErrorCode.INVALID_TARGET, url.directory() + " is outside the allowed target roots " + roots
                            + " (configuration key target.roots; symlinks are followed)"));
            if (real.startsWith(Paths.realInside(defaultTarget, List.of(Path.of("/"))).orElse(defaultTarget))) {
                throw new BackupException(ErrorCode.INVALID_TARGET, url.directory() + " is in the default target "
                        + "directory (target.directory), whose directories are backups: choose one beside it");
            }
            if (Files.exists(real) && !Files.isDirectory(real)) {
                throw new BackupException(ErrorCode.INVALID_TARGET, real + " exists and is not a directory");
            }
            return real;
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot resolve " + url.directory() + ": " + e.getMessage(), e);
        }
    }

    /** The endpoint that serves an object-storage URL: exactly one must. */
    ObjectStoreProvider provider(RepositoryUrl url) {
        List<ObjectStoreProvider> serving = providers.get().stream().filter(p -> p.serves(url.uri())).toList();
        if (serving.isEmpty()) {
            throw new BackupException(ErrorCode.INVALID_TARGET, url.url() + ": no S3 endpoint is configured for its bucket "
                    + "(a factory configuration org.virtbackup.s3, in Karaf etc/org.virtbackup.s3-NAME.cfg, with the "
                    + "feature virt-backup-s3 installed)");
        }
        if (serving.size() > 1) {
            throw new BackupException(ErrorCode.INVALID_TARGET, url.url() + ": several S3 endpoints serve its bucket ("
                    + serving.stream().map(ObjectStoreProvider::describe).toList() + "): narrow their buckets settings");
        }
        return serving.get(0);
    }

    /** The object store an endpoint opens for the URL. */
    static ObjectStore store(RepositoryUrl url, ObjectStoreProvider provider) {
        try {
            return provider.open(url.uri());
        } catch (IllegalArgumentException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "repository URL " + url.url() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "repository " + url.url() + ": " + e.getMessage(), e);
        }
    }

    /** Whether the store holds a repository (its {@code config} object). */
    static boolean holdsRepository(RepositoryUrl url, ObjectStore store) {
        try {
            return store.exists("config");
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "repository " + url.url() + ": " + e.getMessage(), e);
        }
    }

    /** A new repository goes under an empty prefix only: objects without a {@code config} are someone's. */
    static void requireEmpty(RepositoryUrl url, ObjectStore store) {
        try {
            List<String> found = new ArrayList<>();
            store.forEach("", n -> {
                if (found.size() < 3) {
                    found.add(n);
                }
            });
            if (!found.isEmpty()) {
                throw new BackupException(ErrorCode.INVALID_TARGET, url.url() + " holds objects but no repository (no "
                        + "config object), for instance " + found + ": a repository is made only under an empty prefix");
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "repository " + url.url() + ": " + e.getMessage(), e);
        }
    }

    /** A new repository goes into an empty directory only: files without a {@code config} are someone's. */
    static void requireEmpty(RepositoryUrl url, Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw new BackupException(ErrorCode.INVALID_TARGET, url.url() + " holds files but no repository (no "
                        + "config object): a repository is made only in an empty directory; is a file system not mounted?");
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Only its owner may write in a repository's directory: another user could redirect our writes and deletes. */
    static void requirePrivate(RepositoryUrl url, Path dir) {
        try {
            var perms = Files.getPosixFilePermissions(dir);
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new BackupException(ErrorCode.INVALID_TARGET, url.url() + ": its directory is writable by others ("
                        + PosixFilePermissions.toString(perms) + "): chmod 700 it");
            }
        } catch (NoSuchFileException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, url.url() + ": no such directory (is its file system "
                    + "mounted?)", e);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read " + dir + ": " + e.getMessage(), e);
        }
    }
}
