package org.virtbackup.api;

/**
 * Keys of {@link BackupService#getParameters}, the twin of {@code virBackupGetParameters}.
 * Sizes are {@code Long} bytes, times {@code Long} milliseconds, the rest as documented.
 */
public final class BackupParameters {

    /** {@code String}: the job state, a {@link JobState} name. */
    public static final String STATE = "state";
    /** {@code Long}: bytes the job has to read (the disks' virtual sizes). */
    public static final String BYTES_TOTAL = "bytes.total";
    /** {@code Long}: bytes read so far. */
    public static final String BYTES_PROCESSED = "bytes.processed";
    /** {@code Long}: bytes still to read. */
    public static final String BYTES_REMAINING = "bytes.remaining";
    /** {@code Long}: bytes the backup occupies in its target (known once completed). */
    public static final String BYTES_STORED = "bytes.stored";
    /**
     * {@code Long}: bytes read that a repository held already and did not store again (0 for
     * other targets).
     *
     * @since 1.4
     */
    public static final String BYTES_DEDUPLICATED = "bytes.deduplicated";
    /** {@code Long}: milliseconds since the job started, or its duration once ended. */
    public static final String ELAPSED_MS = "time.elapsed";
    /** {@code Long}: bytes per second read so far. */
    public static final String THROUGHPUT = "throughput";
    /** {@code Long}: while a restore of this backup runs, the bytes it writes in all (disks' virtual sizes). */
    public static final String RESTORE_BYTES_TOTAL = "restore.bytes.total";
    /** {@code Long}: while a restore of this backup runs, the bytes written so far. */
    public static final String RESTORE_BYTES_PROCESSED = "restore.bytes.processed";
    /**
     * {@code Long}: while a delete with MERGE folds this backup into its children, the bytes of
     * their images to rebase in all (virtual sizes).
     *
     * @since 1.2
     */
    public static final String MERGE_BYTES_TOTAL = "merge.bytes.total";
    /**
     * {@code Long}: while a delete with MERGE folds this backup into its children, the bytes rebased so far.
     *
     * @since 1.2
     */
    public static final String MERGE_BYTES_PROCESSED = "merge.bytes.processed";
    /** {@code String}: full or incremental. */
    public static final String KIND = "kind";
    /** {@code String}: managed or unmanaged. */
    public static final String MODE = "mode";

    private BackupParameters() {
    }
}
