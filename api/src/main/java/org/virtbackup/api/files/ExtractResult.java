package org.virtbackup.api.files;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link BackupFiles#extract} copied.
 *
 * @param path where the copy is: the destination directory and the entry's name
 * @param files how many files and links were copied
 * @param bytes how many bytes the copied files hold
 * @param skipped the paths (inside the disk) of device files, pipes and sockets left out
 */
public record ExtractResult(Path path, long files, long bytes, List<String> skipped) {

    public ExtractResult {
        skipped = List.copyOf(skipped);
    }
}
