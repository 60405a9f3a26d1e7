package org.virtbackup.impl.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.impl.libvirt.StoragePools;

/**
 * Removes a backup's images: files in its own directory, or its volumes in a libvirt pool;
 * nothing else, whatever its descriptor says. A repository's chunks go at its collection.
 */
final class BackupImages {

    private static final Logger LOG = LoggerFactory.getLogger(BackupImages.class);

    private final StoragePools pools;

    BackupImages(StoragePools pools) {
        this.pools = pools;
    }

    /** Failures are logged, not thrown: whoever removes the backup goes on with the rest of it. */
    void remove(UUID backup, List<BackupDisk> disks, Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        for (BackupDisk d : disks) {
            if (d.target().isEmpty() || d.inRepository()) {
                continue; // an unmanaged backup's disk: nothing stored; a repository's chunks go at its collection
            }
            Path image = Path.of(d.target()).toAbsolutePath().normalize();
            try {
                if (image.startsWith(dir)) {
                    Files.deleteIfExists(image);
                } else if (!pools.delete(image, backup.toString()) && Files.exists(image)) {
                    LOG.warn("Not removing {} of backup {}: neither in its directory nor a volume of a pool", image, backup);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot remove {} of backup {}: {}", image, backup, e.getMessage());
            }
        }
    }
}
