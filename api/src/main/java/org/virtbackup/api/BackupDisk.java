package org.virtbackup.api;

import java.util.Objects;

/**
 * One disk of a backup.
 *
 * @param name the disk's target name in the domain ({@code vda})
 * @param format image format of the stored copy ({@code qcow2})
 * @param target where the copy is stored: an absolute file path; empty for an unmanaged backup
 * @param capacity the disk's virtual size in bytes
 * @param stored bytes the copy occupies in its target, 0 until the job ends
 * @param export for an unmanaged backup, where the disk is exported; {@code null} for a managed one
 */
public record BackupDisk(String name, String format, String target, long capacity, long stored, NbdExport export) {

    /** A disk of a managed backup. */
    public BackupDisk(String name, String format, String target, long capacity, long stored) {
        this(name, format, target, capacity, stored, null);
    }

    public BackupDisk {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(target, "target");
    }

    public BackupDisk withStored(long bytes) {
        return new BackupDisk(name, format, target, capacity, bytes, export);
    }
}
