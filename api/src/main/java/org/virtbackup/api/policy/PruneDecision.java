package org.virtbackup.api.policy;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * What a retention decided for one backup.
 *
 * @param backup the backup
 * @param domain its domain's name
 * @param time its creation time, which places it in the rules' periods
 * @param keep whether it stays
 * @param reason the rule that keeps it, with its period ({@code keep-daily (2026-12-01)}), or why
 *        it goes
 */
public record PruneDecision(UUID backup, String domain, Instant time, boolean keep, String reason) {

    public PruneDecision {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(time, "time");
        reason = reason == null ? "" : reason;
    }
}
