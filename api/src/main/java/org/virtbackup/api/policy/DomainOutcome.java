package org.virtbackup.api.policy;

import java.util.Objects;
import java.util.UUID;

/**
 * What a policy run did for one domain.
 *
 * @param domain the domain's name
 * @param result where it stands
 * @param backup the backup the run made, {@code null} if none
 * @param pruned backups the prune removed after it
 * @param verified backups verified after it
 * @param message why it was skipped or failed, or what went wrong after the backup; empty if nothing
 */
public record DomainOutcome(String domain, Result result, UUID backup, int pruned, int verified, String message) {

    /** Where a domain of a run stands. */
    public enum Result {
        /** Waiting for a free slot (the policy's {@code max.concurrent}). */
        QUEUED,
        /** Being backed up, pruned or verified. */
        RUNNING,
        /** Backed up (and pruned and verified as the policy says). */
        DONE,
        /** Still busy from an earlier run or another job: left alone this time. */
        SKIPPED,
        /** The backup, the prune or a verification failed; the message says which. */
        FAILED;

        public boolean isFinal() {
            return this != QUEUED && this != RUNNING;
        }
    }

    public DomainOutcome {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(result, "result");
        message = message == null ? "" : message;
    }
}
