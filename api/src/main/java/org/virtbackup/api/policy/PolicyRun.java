package org.virtbackup.api.policy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * One run of a policy.
 *
 * @param policy the policy's name
 * @param started when it started
 * @param ended when the last domain was done, {@code null} while it runs
 * @param trigger what started it: {@code schedule}, {@code demand}, {@code catch-up} (a run
 *        missed while the service was down) or {@code resumed} (a run cut short by a stop)
 * @param outcomes each domain's, in the order they were queued
 */
public record PolicyRun(String policy, Instant started, Instant ended, String trigger, List<DomainOutcome> outcomes) {

    public PolicyRun {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(started, "started");
        // Millisecond precision, as kept across restarts: a run reads the same before and after one.
        started = started.truncatedTo(ChronoUnit.MILLIS);
        ended = ended == null ? null : ended.truncatedTo(ChronoUnit.MILLIS);
        outcomes = List.copyOf(outcomes);
    }

    /** Whether every domain is done. */
    public boolean over() {
        return ended != null;
    }
}
