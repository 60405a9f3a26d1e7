package org.virtbackup.impl.policy;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.policy.PruneDecision;

/**
 * A prune asked for by name ({@code backup:prune}): of a policy's domains, or of one domain by the
 * one policy covering it. Each domain is pruned whatever happens to the others, the repositories
 * are collected, and what failed is reported at the end.
 */
final class PolicyPrunes {

    private final BackupService backups;
    private final Pruner pruner;
    private final Function<String, Policy> usable;
    private final Predicate<String> isPolicy;
    private final Supplier<List<Policy>> running;

    /**
     * @param usable the policy running under a name, or a clear refusal
     * @param isPolicy whether a name is a configured policy's, usable or not
     * @param running the policies running
     */
    PolicyPrunes(BackupService backups, ZoneId zone, Function<String, Policy> usable, Predicate<String> isPolicy,
            Supplier<List<Policy>> running) {
        this.backups = backups;
        this.pruner = new Pruner(backups, zone);
        this.usable = usable;
        this.isPolicy = isPolicy;
        this.running = running;
    }

    List<PruneDecision> plan(String policyOrDomain) {
        List<PruneDecision> out = new ArrayList<>();
        PolicySubject.run(PolicySubject.of("prune"), () -> scope(policyOrDomain).forEach((domain, policy) ->
                out.addAll(pruner.plan(domain, policy.retention(), policy.name()))));
        return out;
    }

    List<PruneDecision> prune(String policyOrDomain) {
        List<PruneDecision> out = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        PolicySubject.run(PolicySubject.of("prune"), () -> {
            Set<String> repositories = new LinkedHashSet<>();
            scope(policyOrDomain).forEach((domain, policy) -> {
                try {
                    List<PruneDecision> plan = pruner.plan(domain, policy.retention(), policy.name());
                    Pruner.Applied applied = pruner.apply(plan);
                    repositories.addAll(applied.repositories());
                    out.addAll(plan);
                    if (applied.failure() != null) {
                        failures.add(domain.name() + ": " + applied.failure().getMessage());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failures.add(domain.name() + ": interrupted");
                } catch (RuntimeException e) {
                    failures.add(domain.name() + ": " + e.getMessage());
                }
            });
            for (String url : repositories) {
                try {
                    backups.collect(url);
                } catch (RuntimeException e) {
                    failures.add("the collection of " + url + ": " + e.getMessage());
                }
            }
        });
        if (!failures.isEmpty()) {
            throw new BackupException(ErrorCode.INVALID_STATE, "the prune did not remove everything it should: "
                    + String.join("; ", failures));
        }
        return out;
    }

    /** The domains a prune covers, each with the policy whose retention applies. */
    private Map<DomainRef, Policy> scope(String policyOrDomain) {
        Map<DomainRef, Policy> out = new TreeMap<>(Comparator.comparing(DomainRef::name));
        List<DomainRef> domains = backups.domains();
        if (isPolicy.test(policyOrDomain)) {
            Policy p = usable.apply(policyOrDomain);
            domains.stream().filter(d -> p.covers(d.name())).forEach(d -> out.put(d, p));
            return out;
        }
        DomainRef domain = domains.stream().filter(d -> d.name().equals(policyOrDomain)).findFirst()
                .orElseThrow(() -> new BackupException(ErrorCode.INVALID_ARGUMENT, "no policy or domain is named '"
                        + policyOrDomain + "'"));
        List<Policy> covering = running.get().stream().filter(p -> p.covers(policyOrDomain))
                .sorted(Comparator.comparing(Policy::name)).toList();
        if (covering.size() != 1) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, covering.isEmpty()
                    ? "no policy covers domain " + policyOrDomain
                    : "domain " + policyOrDomain + " is covered by policies " + covering.stream().map(Policy::name).toList()
                            + ": name the one whose retention applies");
        }
        out.put(domain, covering.get(0));
        return out;
    }
}
