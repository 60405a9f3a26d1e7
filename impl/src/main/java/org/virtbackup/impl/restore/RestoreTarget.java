package org.virtbackup.impl.restore;

import java.nio.file.Path;

import org.virtbackup.api.BackupDisk;

/**
 * One disk to restore: where from, where to, in which format.
 *
 * @param disk the backup's disk (its image reads as the whole disk at the backup's moment)
 * @param target the file to write
 * @param format the image format to write ({@code qcow2} or {@code raw}, as the disk had)
 */
record RestoreTarget(BackupDisk disk, Path target, String format) {

    /** Where the image is written first, beside the target, renamed over it once whole. */
    Path temporary() {
        return temporaryOf(target);
    }

    static Path temporaryOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".restoring");
    }

    /** Where a disk rewritten in place waits, beside the target, until its restored image is in place. */
    Path parked() {
        return parkedOf(target);
    }

    static Path parkedOf(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".before-restore");
    }
}
