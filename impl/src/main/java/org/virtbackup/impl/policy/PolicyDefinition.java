package org.virtbackup.impl.policy;

import java.time.ZoneId;
import java.util.List;
import java.util.Optional;

/**
 * What one {@link PolicyConfiguration} says, at one moment. A configuration that is not usable
 * still gives a definition, with its problem, so that {@code backup:policies} shows why it does
 * not run.
 */
public final class PolicyDefinition {

    private final String name;
    private final Policy policy;
    private final String problem;
    private final List<String> domains;

    PolicyDefinition(PolicyConfig config, String pid, ZoneId zone) {
        Policy p = null;
        String why = "";
        try {
            p = Policy.of(config, zone);
        } catch (RuntimeException e) {
            // Not only ours: SCR throws its own exception for a value it cannot convert (keep.last = three).
            why = String.valueOf(e.getMessage());
        }
        this.policy = p;
        this.problem = why;
        this.domains = p != null ? p.domains() : config.domains() == null ? List.of() : List.of(config.domains());
        this.name = p != null ? p.name() : config.name() == null || config.name().isBlank() ? pid : config.name().trim();
    }

    public String name() {
        return name;
    }

    /** The policy, when the configuration is usable. */
    public Optional<Policy> policy() {
        return Optional.ofNullable(policy);
    }

    /** The domains as configured. */
    public List<String> domains() {
        return domains;
    }

    /** Why it is not usable; empty when it is. */
    public String problem() {
        return problem;
    }
}
