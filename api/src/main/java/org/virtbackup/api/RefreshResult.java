package org.virtbackup.api;

/**
 * What {@link BackupService#refresh} found in a repository that other hosts share: the backups
 * they completed there since this host last looked, and the ones they deleted.
 *
 * @param repository the repository's URL
 * @param added backups listed now that were not
 * @param removed backups no longer listed
 * @since 1.5
 */
public record RefreshResult(String repository, int added, int removed) {
}
