package org.virtbackup.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a domain's backups go: the typed form of the {@code <target>} of
 * {@link BackupService#setDefaultTarget(String, String, java.util.Set)}.
 *
 * @param type {@value #DIRECTORY} (a directory inside the configured target roots),
 *        {@value #POOL} (a libvirt storage pool of files), {@value #REPOSITORY} (a deduplicating
 *        repository, since 1.4), {@value #GLOBAL} (the configured global target), or the kind of a
 *        {@code StorageTarget} service of another bundle
 * @param value the directory's absolute path, the pool's name or the repository's URL; empty for the other types
 * @since 1.3
 */
public record BackupTarget(String type, String value) {

    public static final String DIRECTORY = "dir";
    public static final String POOL = "pool";
    public static final String GLOBAL = "global";
    /** @since 1.4 */
    public static final String REPOSITORY = "repository";
    private static final Pattern KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public BackupTarget {
        Objects.requireNonNull(type, "type");
        value = value == null ? "" : value;
        if (!KIND.matcher(type).matches()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a target's type must be '" + DIRECTORY + "', '" + POOL
                    + "' or the kind of a StorageTarget service (letters, digits, '.', '_', '-'), not '" + type + "'");
        }
        boolean valued = type.equals(DIRECTORY) || type.equals(POOL) || type.equals(REPOSITORY);
        if (valued == value.isBlank()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, valued
                    ? "a " + type + " target needs a " + (type.equals(POOL) ? "pool name" : type.equals(REPOSITORY) ? "URL" : "path")
                    : "a target of type '" + type + "' takes no value");
        }
    }

    /** A directory, which must lie inside the configured target roots. */
    public static BackupTarget directory(String path) {
        return new BackupTarget(DIRECTORY, path);
    }

    /** An active libvirt storage pool whose volumes are files (dir, fs, netfs). */
    public static BackupTarget pool(String name) {
        return new BackupTarget(POOL, name);
    }

    /** A {@code StorageTarget} service of this kind, registered by another bundle. */
    public static BackupTarget service(String kind) {
        return new BackupTarget(kind, "");
    }

    /**
     * A repository: deduplicated, compressed and, with a key configured, encrypted chunks
     * ({@code file:///DIR}, the directory inside the configured target roots).
     *
     * @since 1.4
     */
    public static BackupTarget repository(String url) {
        return new BackupTarget(REPOSITORY, url);
    }

    /** The configured global target ({@code target.directory}): a domain's own target cleared. */
    public static BackupTarget global() {
        return new BackupTarget(GLOBAL, "");
    }

    /** Whether backups go to a StorageTarget service of another bundle. */
    public boolean isService() {
        return !type.equals(DIRECTORY) && !type.equals(POOL) && !type.equals(GLOBAL) && !type.equals(REPOSITORY);
    }
}
