package org.virtbackup.impl.provider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
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
        qemuImg.createOverlay(image, image.getParent().relativize(Path.of(base.target())).toString());
        try {
            Files.setPosixFilePermissions(image, Paths.OWNER_ONLY_FILE);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot restrict " + image + ": " + e.getMessage(), e);
        }
        return image;
    }
}
