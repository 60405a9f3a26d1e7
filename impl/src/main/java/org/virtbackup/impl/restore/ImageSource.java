package org.virtbackup.impl.restore;

import java.nio.file.Path;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.firmware.FirmwareCopies;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.qemu.QemuImg;

/** A backup kept as qcow2 images, each reading whole through its backing chain: qemu-img converts and compares. */
final class ImageSource implements RestoreSource {

    private final QemuImg qemuImg;

    ImageSource(QemuImg qemuImg) {
        this.qemuImg = qemuImg;
    }

    @Override
    public long required(Backup backup, BackupDisk disk, String format) {
        return qemuImg.measure(disk.target(), format);
    }

    @Override
    public void copy(Backup backup, BackupDisk disk, Path image, String format, CopyProgress progress, Path log)
            throws InterruptedException {
        progress.current(disk.capacity(), log);
        qemuImg.convert(disk.target(), "qcow2", image, format, log);
    }

    @Override
    public boolean identical(Backup backup, BackupDisk disk, Path image, String format) {
        return qemuImg.identical(disk.target(), "qcow2", image.toString(), format);
    }

    @Override
    public byte[] firmware(Backup backup, Path directory, FirmwareFile file) {
        return FirmwareCopies.read(directory, file);
    }
}
