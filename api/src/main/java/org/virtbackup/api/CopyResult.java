package org.virtbackup.api;

import java.util.UUID;

/**
 * What {@link BackupService#copy} did: the backup is in the other repository too, under the same
 * UUID, its chunks stored there once (compressed, and sealed under that repository's key).
 *
 * @param backup the backup copied
 * @param repository the repository it was copied to
 * @param chunks chunks its disks name (zero chunks not counted: they are named, never stored)
 * @param bytesStored bytes the copy added to the repository: the chunks it lacked
 * @param bytesFound bytes of chunks the repository held already, not sent
 * @since 1.5
 */
public record CopyResult(UUID backup, String repository, long chunks, long bytesStored, long bytesFound) {
}
