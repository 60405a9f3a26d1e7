package org.virtbackup.api.files;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Browses the file systems of a completed managed backup, kept as qcow2 images or in a
 * repository, and copies files out of it. Nothing of the backup changes: its disk is read
 * through a throw-away overlay, so a journal the guest left unreplayed is replayed there.
 *
 * <p>Paths inside a disk are relative to the disk's root and use {@code /}. A disk with a
 * partition table shows its partitions at its root, named {@code p1}, {@code p2} … after their
 * numbers (so {@code p1/etc/hostname}); a disk without one shows its file system's root. A
 * symbolic link in the guest is listed, never followed: a path through one is refused.
 *
 * <p>Errors are {@link org.virtbackup.api.BackupException}s: {@code NO_BACKUP}, {@code NO_DISK},
 * {@code INVALID_STATE} (a backup not completed), {@code INVALID_ARGUMENT} (a path that does not
 * exist or passes through a link, a directory of more than 100,000 entries to list, a destination
 * outside the configured restore roots or already there), {@code NOT_SUPPORTED} (an unmanaged backup; a partition holding no file system that is
 * read, such as swap or an LVM volume), {@code NO_SPACE} (the copy, or a repository disk
 * assembled for reading, does not fit), {@code DOMAIN_BUSY}, {@code IO_ERROR}.
 */
@ProviderType
public interface BackupFiles {

    /**
     * Lists a directory of a disk of the backup.
     *
     * @param disk the disk's name ({@code vda}); {@code null} lists the backup's disks (and takes no path)
     * @param path a directory of the disk, or {@code null}, empty or {@code /} for its root
     * @return the directory's entries, sorted by name (a file names itself alone)
     */
    List<GuestFile> listFiles(UUID backup, String disk, String path);

    /**
     * Copies a file, or a directory with everything below it, out of a disk of the backup into
     * {@code directory} under its own name (a whole file system under the disk's, {@code vda}, or
     * the partition's, {@code vda-p1}). Links are copied as links, device files and pipes
     * are skipped (and named in the result). What is copied is readable by its owner only; it
     * appears under its name only once whole.
     *
     * @param directory an existing directory inside the configured restore roots, not holding the name yet
     */
    ExtractResult extract(UUID backup, String disk, String path, Path directory);
}
