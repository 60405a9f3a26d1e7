package org.virtbackup.repository;

import java.time.Duration;

/**
 * How a process shares a repository with other processes and hosts (docs/repository-format.md,
 * "Sharing a repository"): the time its leases live without being rewritten (a dead host blocks
 * the others that long at most), and how long it waits for another's lease before giving up.
 *
 * @param lease a lease not rewritten for this long is dead; rewritten every quarter of it
 * @param patience how long a backup waits for a collection to end, or a collection for backups
 */
public record Sharing(Duration lease, Duration patience) {

    /** Leases of 2 minutes; waits of 10 minutes. */
    public static final Sharing DEFAULT = new Sharing(Duration.ofMinutes(2), Duration.ofMinutes(10));

    public Sharing {
        if (lease.toMillis() < 4000 || patience.isNegative()) {
            throw new IllegalArgumentException("a lease lives 4 s or more, and waits are not negative: " + lease + ", " + patience);
        }
    }
}
