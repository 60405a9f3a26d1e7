package org.virtbackup.impl.provider.managed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.qemu.Qcow2Overlay;
import org.virtbackup.impl.qemu.QemuImg;

/** The image of an incremental backup: a private qcow2 overlay on the parent's image of the disk. */
final class Overlays {

    private Overlays() {
    }

    static Path create(QemuImg qemuImg, BackupDisk disk, Backup parent) {
        BackupDisk base = parent.disks().stream().filter(d -> d.name().equals(disk.name())).findFirst()
                .orElseThrow(() -> new BackupException(ErrorCode.NO_DISK, "disk " + disk.name() + " is not in parent " + parent.uuid()));
        Path image = Path.of(disk.target());
        // Relative, so a backup directory tree can be moved as a whole.
        String backing = image.getParent().relativize(Path.of(base.target())).toString();
        try {
            // A storage pool's target made an empty volume at this path, through libvirt: it becomes the overlay.
            Files.deleteIfExists(image);
            long size = Qcow2Overlay.virtualSize(Path.of(base.target()));
            if (Qcow2Overlay.fits(size)) {
                Qcow2Overlay.write(image, backing, size, Paths.OWNER_ONLY_FILE);
            } else {
                Paths.privateFile(image);
                qemuImg.createOverlay(image, backing);
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create " + image + ": " + e.getMessage(), e);
        }
        return image;
    }
}
