package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.file.Path;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.qemu.CopyProgress;

/**
 * Where a restore reads a backup's disk from: qcow2 images ({@link ImageSource}) or a
 * repository's chunks ({@code ChunkSource}).
 */
public interface RestoreSource {

    /** Bytes an image of the disk in this format needs. */
    long required(Backup backup, BackupDisk disk, String format);

    /** Writes the disk, whole, into a new image (the file exists, empty and private). */
    void copy(Backup backup, BackupDisk disk, Path image, String format, CopyProgress progress, Path log)
            throws IOException, InterruptedException;

    /** Whether the image reads exactly as the disk at the backup's moment. */
    boolean identical(Backup backup, BackupDisk disk, Path image, String format) throws IOException, InterruptedException;

    /**
     * A firmware file of the backup, checked against the SHA-256 it recorded.
     *
     * @param directory the backup's directory in its target (where it ran, for a repository backup)
     */
    byte[] firmware(Backup backup, Path directory, FirmwareFile file);
}
