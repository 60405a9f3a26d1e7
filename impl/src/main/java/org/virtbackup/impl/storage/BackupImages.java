package org.virtbackup.impl.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.StoragePools;

/**
 * Removes a backup's images: files in its own directory, its volumes in a libvirt pool, and
 * what its per-disk targets placed elsewhere ({@link PlacedImages}); nothing else, whatever its
 * descriptor says. A repository's chunks go at its collection.
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
        List<Path> placed = placed(backup, dir);
        for (BackupDisk d : disks) {
            if (d.target().isEmpty() || d.inRepository()) {
                continue; // an unmanaged backup's disk: nothing stored; a repository's chunks go at its collection
            }
            Path image = Path.of(d.target()).toAbsolutePath().normalize();
            try {
                if (image.startsWith(dir)) {
                    Files.deleteIfExists(image);
                } else if (!placed.contains(image) && !pools.delete(image, backup.toString()) && Files.exists(image)) {
                    LOG.warn("Not removing {} of backup {}: neither in its directory, nor a volume of a pool, nor "
                            + "recorded as placed by a per-disk target", image, backup);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot remove {} of backup {}: {}", image, backup, e.getMessage());
            }
        }
        boolean allGone = true;
        for (Path image : placed) { // also those of a start cut short, which no descriptor names
            try {
                // The record is the proof it is ours: the name asked of libvirt is the volume's own.
                if (!deleteVolume(image)) {
                    Files.deleteIfExists(image);
                }
            } catch (IOException | RuntimeException e) {
                allGone = false;
                LOG.error("Cannot remove {} of backup {}, placed there by a per-disk target: {}; it is left, remove it "
                        + "by hand", image, backup, e.getMessage());
            }
        }
        if (allGone && !placed.isEmpty()) {
            // A failed backup keeps its directory: a file made later at a path it used is not its own.
            Paths.deleteQuietly(dir.resolve(PlacedImages.RECORD));
        }
    }

    /** Deletes a volume of a pool through libvirt; false if libvirt knows none there, or cannot delete it now. */
    private boolean deleteVolume(Path image) {
        try {
            return pools.delete(image, image.getFileName().toString());
        } catch (RuntimeException e) { // its pool is inactive, say: the file goes as a file
            LOG.warn("libvirt cannot delete volume {} ({}); deleting the file", image, e.getMessage());
            return false;
        }
    }

    private static List<Path> placed(UUID backup, Path dir) {
        try {
            return PlacedImages.in(dir).stream().map(p -> p.toAbsolutePath().normalize()).toList();
        } catch (RuntimeException e) {
            LOG.warn("Cannot read which images of backup {} lie outside {}: {}", backup, dir, e.getMessage());
            return List.of();
        }
    }
}
