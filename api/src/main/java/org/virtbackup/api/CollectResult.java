package org.virtbackup.api;

/**
 * What {@link BackupService#collect} removed from a repository.
 *
 * @param repository the repository's URL
 * @param chunksBefore chunks the repository held before
 * @param chunksRemoved chunks no backup named any more, removed
 * @param indexesRemoved indexes of backups that never completed, removed
 * @since 1.4
 */
public record CollectResult(String repository, long chunksBefore, long chunksRemoved, long indexesRemoved) {
}
