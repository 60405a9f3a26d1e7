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
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.policy.PruneDecision;

/**
 * Applies a retention to a domain's backups. The retention weighs its completed managed backups
 * (wherever they are stored; unmanaged ones hold no data); a failed backup older than the newest
 * completed one goes too, as Proxmox removes incomplete snapshots. Removal keeps every kept point
 * whole: a qcow2 backup is merged into its children, a repository backup (a full point of its
 * own) is deleted and its chunks left to the collection that follows.
 */
public final class Pruner {

    private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

    private final BackupService backups;
    private final ZoneId zone;

    public Pruner(BackupService backups, ZoneId zone) {
        this.backups = backups;
        this.zone = zone;
    }

    /** What the retention decides for each of the domain's backups, newest first. Changes nothing. */
    public List<PruneDecision> plan(String domain, Retention retention) {
        List<Backup> all = backups.list(domain, Set.of()).stream().filter(b -> b.mode() == BackupMode.MANAGED).toList();
        List<Backup> completed = all.stream().filter(b -> b.state() == JobState.COMPLETED).toList();
        List<PruneDecision> out = new ArrayList<>();
        for (Retention.Decision<Backup> d : retention.apply(completed, Backup::creationTime, zone)) {
            out.add(new PruneDecision(d.backup().uuid(), domain, d.time(), d.keep(), d.rule()));
        }
        Optional<Backup> newest = completed.stream().max(Comparator.comparing(Backup::creationTime));
        all.stream().filter(b -> b.state() == JobState.FAILED || b.state() == JobState.EXPIRED)
                .filter(b -> newest.isPresent() && b.creationTime().isBefore(newest.get().creationTime()))
                .forEach(b -> out.add(new PruneDecision(b.uuid(), domain, b.creationTime(), false,
                        b.state().name().toLowerCase() + ", older than the newest completed backup")));
        out.sort(Comparator.comparing(PruneDecision::time).reversed());
        return out;
    }

    /**
     * Removes what {@link #plan} does not keep, newest first (merging an incremental into its
     * child before its parent copies least), and returns the repositories that hold chunks to collect.
     */
    public Set<String> apply(List<PruneDecision> plan) {
        Set<String> repositories = new LinkedHashSet<>();
        for (PruneDecision d : plan) {
            if (d.keep()) {
                continue;
            }
            Optional<Backup> b = backups.lookup(d.backup());
            if (b.isEmpty()) {
                continue; // deleted meanwhile
            }
            boolean data = b.get().state() == JobState.COMPLETED;
            backups.delete(d.backup(), data ? Set.of(DeleteFlag.MERGE) : Set.of());
            LOG.info("Pruned backup {} of {} ({}): {}", d.backup(), d.domain(), d.time(), d.reason());
            if (b.get().inRepository()) {
                repositories.add(b.get().disks().get(0).target());
            }
        }
        return repositories;
    }
}
