package org.virtbackup.impl.policy;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.policy.PruneDecision;

/**
 * Applies a policy's retention to a domain's backups: the completed ones the policy made (its
 * description names it; backups made by hand or by another policy are never its to remove), of
 * this domain (by UUID: a new domain of an old name, or another host's, is not this one). A
 * failed backup of the policy older than its newest completed one goes too, as Proxmox removes
 * incomplete snapshots. Removal keeps every kept point whole: a qcow2 backup is merged into its
 * children, a repository backup (a full point of its own) is deleted and its chunks left to the
 * collection that follows.
 */
public final class Pruner {

    private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

    /** What {@link #apply} did: how many it removed, the repositories to collect, the first failure. */
    public record Applied(int removed, Set<String> repositories, RuntimeException failure) {
    }

    private final BackupService backups;
    private final ZoneId zone;

    public Pruner(BackupService backups, ZoneId zone) {
        this.backups = backups;
        this.zone = zone;
    }

    /** What the retention decides for each of the policy's backups of the domain, newest first. Changes nothing. */
    public List<PruneDecision> plan(DomainRef domain, Retention retention, String policy) {
        String mine = Policy.description(policy);
        List<Backup> all = backups.list(domain.uuid().toString(), Set.of()).stream()
                .filter(b -> b.mode() == BackupMode.MANAGED && b.domain().uuid().equals(domain.uuid())
                        && b.description().equals(mine))
                .toList();
        List<Backup> completed = all.stream().filter(b -> b.state() == JobState.COMPLETED).toList();
        List<PruneDecision> out = new ArrayList<>();
        for (Retention.Decision<Backup> d : retention.apply(completed, Backup::creationTime, zone)) {
            out.add(new PruneDecision(d.backup().uuid(), domain.name(), d.time(), d.keep(), d.rule()));
        }
        Optional<Backup> newest = completed.stream().max(Comparator.comparing(Backup::creationTime));
        all.stream().filter(b -> retention.any()) // with no rule, everything is kept: the failed ones too
                .filter(b -> b.state() == JobState.FAILED || b.state() == JobState.EXPIRED)
                .filter(b -> newest.isPresent() && b.creationTime().isBefore(newest.get().creationTime()))
                .forEach(b -> out.add(new PruneDecision(b.uuid(), domain.name(), b.creationTime(), false,
                        b.state().name().toLowerCase() + ", older than the newest completed backup")));
        out.sort(Comparator.comparing(PruneDecision::time).reversed());
        return out;
    }

    /**
     * Removes what {@link #plan} does not keep, newest first (merging an incremental into its
     * child before its parent copies least). A removal that fails leaves the others to go on.
     *
     * @throws InterruptedException when the service stops: the rest waits for the next prune
     */
    public Applied apply(List<PruneDecision> plan) throws InterruptedException {
        Set<String> repositories = new LinkedHashSet<>();
        int removed = 0;
        RuntimeException failure = null;
        for (PruneDecision d : plan) {
            if (d.keep()) {
                continue;
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Optional<Backup> b = backups.lookup(d.backup());
            if (b.isEmpty()) {
                continue; // deleted meanwhile
            }
            try {
                boolean data = b.get().state() == JobState.COMPLETED;
                backups.delete(d.backup(), data ? Set.of(DeleteFlag.MERGE) : Set.of());
                removed++;
                LOG.info("Pruned backup {} of {} ({}): {}", d.backup(), d.domain(), d.time(), d.reason());
                if (b.get().inRepository()) {
                    repositories.add(b.get().disks().get(0).target());
                }
            } catch (BackupException e) {
                if (e.code() == ErrorCode.NO_BACKUP && backups.lookup(d.backup()).isEmpty()) {
                    continue; // deleted between the lookup and the delete (another prune of the domain): as wanted
                }
                IllegalStateException f = failed(d, e);
                failure = failure != null ? failure : f;
            } catch (RuntimeException e) {
                IllegalStateException f = failed(d, e);
                failure = failure != null ? failure : f;
            }
        }
        return new Applied(removed, repositories, failure);
    }

    private static IllegalStateException failed(PruneDecision d, RuntimeException e) {
        LOG.warn("Pruning backup {} of {} failed: {}", d.backup(), d.domain(), e.getMessage());
        return new IllegalStateException("the prune of backup " + d.backup() + " failed: " + e.getMessage(), e);
    }
}
