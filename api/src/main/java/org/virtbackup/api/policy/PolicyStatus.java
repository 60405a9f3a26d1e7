package org.virtbackup.api.policy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A configured policy as it stands.
 *
 * @param name the policy's name
 * @param domains the names and globs of the domains it covers
 * @param schedule its cron expression (Quartz syntax), empty when it runs only on demand
 * @param nextRun when the schedule fires next, {@code null} if it does not
 * @param problem why the configuration is not usable, empty when it is
 * @param lastRun its latest run (maybe still going), {@code null} before the first
 */
public record PolicyStatus(String name, List<String> domains, String schedule, Instant nextRun, String problem,
        PolicyRun lastRun) {

    public PolicyStatus {
        Objects.requireNonNull(name, "name");
        domains = List.copyOf(domains);
        schedule = schedule == null ? "" : schedule;
        problem = problem == null ? "" : problem;
    }

    /** Whether the configuration is usable. */
    public boolean valid() {
        return problem.isEmpty();
    }
}
