package org.virtbackup.api.policy;

/**
 * The OSGi Event Admin events of policy runs (posted asynchronously): {@link #STARTED} when a run
 * starts, {@link #ENDED} when its last domain is done. Both carry {@link #POLICY},
 * {@link #TRIGGER}, {@link #STARTED_AT} and {@link #DOMAINS}; {@link #ENDED} adds the counts.
 */
public final class PolicyEvents {

    public static final String TOPIC_PREFIX = "org/virtbackup/policy/";
    public static final String TOPIC_ALL = TOPIC_PREFIX + "*";
    public static final String STARTED = TOPIC_PREFIX + "STARTED";
    public static final String ENDED = TOPIC_PREFIX + "ENDED";

    /** {@code String}: the policy's name. */
    public static final String POLICY = "policy";
    /** {@code String}: schedule, demand, catch-up or resumed (see {@link PolicyRun#trigger()}). */
    public static final String TRIGGER = "trigger";
    /** {@code Long}: when the run started, milliseconds since the epoch. */
    public static final String STARTED_AT = "started";
    /** {@code String[]}: the run's domains. */
    public static final String DOMAINS = "domains";
    /** {@code Integer}: domains done. */
    public static final String DONE = "done";
    /** {@code Integer}: domains skipped. */
    public static final String SKIPPED = "skipped";
    /** {@code Integer}: domains failed. */
    public static final String FAILED = "failed";

    private PolicyEvents() {
    }
}
