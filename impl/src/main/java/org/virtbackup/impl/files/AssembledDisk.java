package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.restore.RestoreSource;

/**
 * A repository backup's disk written whole into a sparse raw file in the work directory (only
 * its stored chunks take room): a repository keeps chunks, not an image qemu-nbd could serve.
 * The file is the backup's own copy, so a journal replay writes into it and nowhere else. That
 * costs what a restore of the disk costs, so its progress shows as a restore's does: in the
 * backup's parameters ({@code restore.bytes.*}, {@code backup:params}).
 */
final class AssembledDisk implements DiskFile {

    private static final Logger LOG = LoggerFactory.getLogger(AssembledDisk.class);
    private final Path file;

    private AssembledDisk(Path file) {
        this.file = file;
    }

    static AssembledDisk assemble(RestoreSource chunks, CopyTracker copies, Backup backup, BackupDisk disk, Path work) {
        Path file = work.resolve("disk.raw");
        try {
            long needed = chunks.required(backup, disk, "raw");
            long free = Files.getFileStore(work).getUsableSpace();
            if (needed > free) {
                throw new BackupException(ErrorCode.NO_SPACE, "disk " + disk.name() + " of backup " + backup.uuid()
                        + " needs " + needed + " bytes in " + work.getParent() + " (scratch.directory) to be read, "
                        + "and " + free + " are free");
            }
            Paths.privateFile(file);
            LOG.info("Assembling disk {} of backup {} ({} bytes) to read its files; progress in its parameters",
                    disk.name(), backup.uuid(), disk.capacity());
            CopyProgress progress = new CopyProgress(disk.capacity());
            copies.started(CopyTracker.Kind.RESTORE, backup.uuid(), progress);
            try {
                chunks.copy(backup, disk, file, "raw", progress, work.resolve("assemble.log"));
            } finally {
                copies.ended(CopyTracker.Kind.RESTORE, backup.uuid(), progress);
            }
            return new AssembledDisk(file);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot assemble disk " + disk.name() + " of backup "
                    + backup.uuid() + " in " + work + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while disk " + disk.name() + " was assembled");
        }
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        // the file goes with the work directory
    }
}
