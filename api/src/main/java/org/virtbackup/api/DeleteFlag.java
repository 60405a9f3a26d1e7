package org.virtbackup.api;

/** Flags of {@link BackupService#delete}. */
public enum DeleteFlag {
    /** Delete every backup of the backup's domain. */
    ALL,
    /** Delete the backup and its whole subtree. */
    ALL_CHILDREN,
    /** Fold the backup's data into its children, so they stay whole, then delete it. */
    MERGE,
    /** Forget the backup in the catalogue but leave its files in place. */
    METADATA_ONLY
}
