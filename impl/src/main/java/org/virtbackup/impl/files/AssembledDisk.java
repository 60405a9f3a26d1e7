package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.restore.RestoreSource;

/**
 * A repository backup's disk written whole into a sparse raw file in the work directory (only
 * its stored chunks take room): a repository keeps chunks, not an image qemu-nbd could serve.
 * The file is the backup's own copy, so a journal replay writes into it and nowhere else.
 */
final class AssembledDisk implements DiskFile {

    private final Path file;

    private AssembledDisk(Path file) {
        this.file = file;
    }

    static AssembledDisk assemble(RestoreSource chunks, Backup backup, BackupDisk disk, Path work) {
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
            chunks.copy(backup, disk, file, "raw", new CopyProgress(disk.capacity()), work.resolve("assemble.log"));
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
