package org.virtbackup.impl.chain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.restore.InstantRestores;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * Edits backup trees: deletes a backup (with its subtree, or every backup of its domain) or
 * merges it into its children ({@link ChainMerge}). An incremental's images are overlays on its
 * parent's, so a parent goes after its children, and a merge rebases the children before the
 * parent goes. Each edit holds the domain's lock from its first look at the tree to its last change.
 */
public final class ChainEditor {

    private final Catalogue catalogue;
    private final InstantRestores instantRestores;
    private final DomainLocks locks;
    private final BackupRemoval removal;
    private final ChainMerge merges;

    public ChainEditor(Catalogue catalogue, StorageRouter storage, Checkpoints checkpoints, QemuImg qemuImg,
            InstantRestores instantRestores, CopyTracker copies, Events events, DomainLocks locks, FaultPoints faults) {
        this.catalogue = catalogue;
        this.instantRestores = instantRestores;
        this.locks = locks;
        this.removal = new BackupRemoval(catalogue, storage, checkpoints, events, faults);
        this.merges = new ChainMerge(catalogue, qemuImg, instantRestores, copies, removal, faults);
    }

    public void delete(UUID uuid, Set<DeleteFlag> flags) {
        Set<DeleteFlag> f = flags == null || flags.isEmpty() ? EnumSet.noneOf(DeleteFlag.class) : EnumSet.copyOf(flags);
        boolean merge = f.contains(DeleteFlag.MERGE);
        if (merge && (f.contains(DeleteFlag.ALL) || f.contains(DeleteFlag.ALL_CHILDREN)
                || f.contains(DeleteFlag.METADATA_ONLY))) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "MERGE does not combine with ALL, ALL_CHILDREN or METADATA_ONLY");
        }
        Backup seen = catalogue.require(uuid).backup();
        try (DomainLocks.Held held = locks.hold(seen.domain(), DomainLocks.Access.EDIT,
                (merge ? "the merge" : "the deletion") + " of backup " + uuid)) {
            reconcilePending(seen.domain().uuid());
            Backup backup = catalogue.require(uuid).backup(); // another edit may have changed it while we waited
            if (backup.inRepository() && !f.contains(DeleteFlag.ALL) && !f.contains(DeleteFlag.ALL_CHILDREN)) {
                // Every repository backup is a full point: it goes alone, its children stay whole; MERGE has nothing to fold.
                requireNotRunning(List.of(backup));
                removal.remove(uuid, f.contains(DeleteFlag.METADATA_ONLY));
            } else if (merge) {
                merges.merge(backup);
            } else {
                delete(backup, f);
            }
        }
    }

    private void delete(Backup backup, Set<DeleteFlag> f) {
        UUID uuid = backup.uuid();
        List<Backup> doomed;
        if (f.contains(DeleteFlag.ALL)) {
            doomed = catalogue.list(backup.domain().uuid().toString(), Set.of());
        } else {
            List<Backup> subtree = catalogue.children(uuid, Set.of(ListFlag.DESCENDANTS));
            if (!subtree.isEmpty() && !f.contains(DeleteFlag.ALL_CHILDREN)) {
                throw new BackupException(ErrorCode.HAS_CHILDREN, "backup " + uuid + " has " + subtree.size()
                        + " descendant backups; delete them with it (ALL_CHILDREN) or fold it into them (MERGE)");
            }
            doomed = new ArrayList<>(subtree);
            doomed.add(backup);
        }
        requireNotRunning(doomed);
        doomed.forEach(b -> instantRestores.requireNone(catalogue.require(b.uuid())));
        // Children before parents: a parent's image is its children's backing file.
        doomed.stream().sorted(Comparator.comparingInt(catalogue::depth).reversed())
                .forEach(b -> removal.remove(b.uuid(), f.contains(DeleteFlag.METADATA_ONLY)));
    }

    /** Refuses while any of these backups is running. */
    public static void requireNotRunning(List<Backup> backups) {
        backups.stream().filter(b -> b.state() == JobState.RUNNING).findFirst().ifPresent(b -> {
            throw new BackupException(ErrorCode.INVALID_STATE, "backup " + b.uuid()
                    + " is running; cancel it first (finishJob with CANCEL)");
        });
    }

    /** A merge of the domain cut short in this process (its reconcile failed) is reconciled before any other edit. */
    private void reconcilePending(UUID domain) {
        for (CatalogueEntry e : catalogue.all()) {
            if (e.backup().domain().uuid().equals(domain)) {
                MergeIntent.in(e.directory()).ifPresent(i -> merges.reconcile(e.backup().uuid(), i));
            }
        }
    }

    /** Finishes a merge cut short (see {@link ChainMerge#reconcile}). */
    void reconcile(UUID merged, MergeIntent intent) {
        merges.reconcile(merged, intent);
    }
}
