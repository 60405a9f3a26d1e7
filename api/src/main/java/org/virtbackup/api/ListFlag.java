package org.virtbackup.api;

/**
 * Flags of {@link BackupService#list} and {@link BackupService#listChildren}.
 *
 * <p>How they combine: flags of one group are OR-ed, groups are AND-ed, and {@link #LATEST}
 * applies last. The groups are kind ({@link #FULL}, {@link #INCREMENTAL}), mode
 * ({@link #MANAGED}, {@link #UNMANAGED}), tree position ({@link #ROOTS}, {@link #LEAVES}) and
 * state ({@link #ACTIVE}). No flag of a group means no filter on it. Cancelled backups are never
 * listed. {@link #DESCENDANTS} only changes {@code listChildren}.
 */
public enum ListFlag {
    /** Full backups. */
    FULL,
    /** Incremental backups. */
    INCREMENTAL,
    /** Only the most recent backup per domain among those that pass the other filters. */
    LATEST,
    /** Backups without a parent. */
    ROOTS,
    /** Backups without children. */
    LEAVES,
    /** {@code listChildren}: the whole subtree, not only the direct children. */
    DESCENDANTS,
    /** Backups whose data we keep. */
    MANAGED,
    /** NBD exports read by third parties. */
    UNMANAGED,
    /** Backups whose job is still running. */
    ACTIVE
}
