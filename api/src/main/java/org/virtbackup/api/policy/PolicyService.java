package org.virtbackup.api.policy;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The configured policies: their state, a run on demand, and pruning by their retention.
 * Errors are {@link org.virtbackup.api.BackupException}s, as from the backup service.
 */
@ProviderType
public interface PolicyService {

    /** Every configured policy (an invalid one with its problem), by name. */
    List<PolicyStatus> policies();

    /**
     * Starts a run of the policy now, as its schedule would, and returns at once; follow it with
     * {@link #policies()}. Domains still busy from an earlier run are skipped.
     *
     * @return the run just started
     * @throws org.virtbackup.api.BackupException {@code INVALID_ARGUMENT} for no such policy, or
     *         an invalid one
     */
    PolicyRun run(String policy);

    /**
     * What a prune would keep and remove, and why, changing nothing (a dry run).
     *
     * @param policyOrDomain a policy's name (its domains), or a domain's name (by the one policy
     *        covering it; {@code INVALID_ARGUMENT} when none or several do)
     * @return every backup considered, per domain newest first
     */
    List<PruneDecision> plan(String policyOrDomain);

    /** Prunes as {@link #plan} says: merges or deletes what is not kept, then collects repositories. */
    List<PruneDecision> prune(String policyOrDomain);
}
