package org.virtbackup.api;

/**
 * The OSGi Event Admin events the service posts (asynchronously): topics and property keys.
 * Subscribe to {@link #TOPIC_ALL} for all of them. Every event carries {@link #BACKUP},
 * {@link #DOMAIN_NAME}, {@link #DOMAIN_UUID}, {@link #MODE}, {@link #KIND} and {@link #STATE};
 * the others add what the table below says.
 *
 * <table>
 * <caption>Topics</caption>
 * <tr><th>topic</th><th>when</th><th>more properties</th></tr>
 * <tr><td>{@link #STARTED}</td><td>a backup's job (copy or export) started</td><td>{@link #PARENT} if incremental</td></tr>
 * <tr><td>{@link #PROGRESS}</td><td>every second while a job runs</td><td>{@link #BYTES_TOTAL}, {@link #BYTES_PROCESSED}</td></tr>
 * <tr><td>{@link #COMPLETED}</td><td>a job ended well, or an export was finished</td><td>{@link #BYTES_STORED}, {@link #MESSAGE} if the backup has a note</td></tr>
 * <tr><td>{@link #FAILED}</td><td>a job failed</td><td>{@link #MESSAGE}</td></tr>
 * <tr><td>{@link #CANCELLED}</td><td>a job was cancelled (the backup is gone)</td><td>{@link #MESSAGE}</td></tr>
 * <tr><td>{@link #EXPIRED}</td><td>an export was open past its limit</td><td>{@link #MESSAGE}</td></tr>
 * <tr><td>{@link #DELETED}</td><td>a backup was deleted (or merged away)</td><td></td></tr>
 * <tr><td>{@link #RESTORED}</td><td>a restore of the backup ended well</td><td>{@link #RESTORED_DOMAIN} if a domain was defined</td></tr>
 * </table>
 */
public final class BackupEvents {

    public static final String TOPIC_PREFIX = "org/virtbackup/backup/";
    public static final String TOPIC_ALL = TOPIC_PREFIX + "*";
    public static final String STARTED = TOPIC_PREFIX + "STARTED";
    public static final String PROGRESS = TOPIC_PREFIX + "PROGRESS";
    public static final String COMPLETED = TOPIC_PREFIX + "COMPLETED";
    public static final String FAILED = TOPIC_PREFIX + "FAILED";
    public static final String CANCELLED = TOPIC_PREFIX + "CANCELLED";
    public static final String EXPIRED = TOPIC_PREFIX + "EXPIRED";
    public static final String DELETED = TOPIC_PREFIX + "DELETED";
    public static final String RESTORED = TOPIC_PREFIX + "RESTORED";

    /** {@code String}: the backup's UUID. */
    public static final String BACKUP = "backup.uuid";
    /** {@code String}: the domain's name as recorded. */
    public static final String DOMAIN_NAME = "domain.name";
    /** {@code String}: the domain's UUID. */
    public static final String DOMAIN_UUID = "domain.uuid";
    /** {@code String}: managed or unmanaged. */
    public static final String MODE = "mode";
    /** {@code String}: full or incremental. */
    public static final String KIND = "kind";
    /** {@code String}: the backup's state (lower case, as in the XML). */
    public static final String STATE = "state";
    /** {@code String}: the parent's UUID. */
    public static final String PARENT = "parent.uuid";
    /** {@code Long}: bytes to process in all. */
    public static final String BYTES_TOTAL = "bytes.total";
    /** {@code Long}: bytes processed so far. */
    public static final String BYTES_PROCESSED = "bytes.processed";
    /** {@code Long}: bytes the backup occupies in its target. */
    public static final String BYTES_STORED = "bytes.stored";
    /**
     * {@code String}: why it failed or expired; on a completed or cancelled job, its note: how
     * it was made (an incremental that fell back to full) or what needs the operator still (a
     * libvirt job that did not end holds the domain).
     */
    public static final String MESSAGE = "message";
    /** {@code String}: the name of the domain a restore defined. */
    public static final String RESTORED_DOMAIN = "restored.domain";

    private BackupEvents() {
    }
}
