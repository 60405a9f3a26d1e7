package org.virtbackup.api;

import java.util.Objects;

/**
 * One disk of a backup.
 *
 * @param name the disk's target name in the domain ({@code vda})
 * @param format image format of the stored copy ({@code qcow2}), or {@value #REPOSITORY}
 * @param target where the copy is stored: an absolute file path, the repository's URL for a
 *        repository backup, empty for an unmanaged backup
 * @param capacity the disk's virtual size in bytes
 * @param stored bytes the copy occupies in its target, 0 until the job ends; in a repository, the
 *        bytes of the chunks this backup added (compressed, encrypted)
 * @param export for an unmanaged backup, where the disk is exported; {@code null} for a managed one
 * @param deduplicated in a repository, bytes read from the disk that the repository held already
 *        and were not stored again (since 1.4); 0 otherwise
 */
public record BackupDisk(String name, String format, String target, long capacity, long stored, NbdExport export,
        long deduplicated) {

    /**
     * The format of a disk kept in a repository as chunks.
     *
     * @since 1.4
     */
    public static final String REPOSITORY = "repository";

    /** A disk of a managed backup. */
    public BackupDisk(String name, String format, String target, long capacity, long stored) {
        this(name, format, target, capacity, stored, null, 0);
    }

    /** A disk without deduplication figures. */
    public BackupDisk(String name, String format, String target, long capacity, long stored, NbdExport export) {
        this(name, format, target, capacity, stored, export, 0);
    }

    public BackupDisk {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(target, "target");
    }

    public BackupDisk withStored(long bytes) {
        return new BackupDisk(name, format, target, capacity, bytes, export, deduplicated);
    }

    /**
     * A copy with the bytes stored and deduplicated by a repository backup.
     *
     * @since 1.4
     */
    public BackupDisk withStored(long bytes, long deduplicatedBytes) {
        return new BackupDisk(name, format, target, capacity, bytes, export, deduplicatedBytes);
    }

    /**
     * Whether the disk is kept in a repository.
     *
     * @since 1.4
     */
    public boolean inRepository() {
        return REPOSITORY.equals(format);
    }
}
