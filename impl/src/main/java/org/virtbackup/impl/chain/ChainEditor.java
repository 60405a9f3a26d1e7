package org.virtbackup.impl.chain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.restore.InstantRestores;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * Edits backup trees: deletes a backup (with its subtree, or every backup of its domain) or
 * merges it into its children. An incremental's images are overlays on its parent's, so a parent
 * goes after its children, and a merge rebases the children before the parent goes. Each edit
 * holds the domain's lock from its first look at the tree to its last change.
 */
public final class ChainEditor {

    private static final Logger LOG = LoggerFactory.getLogger(ChainEditor.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final Checkpoints checkpoints;
    private final QemuImg qemuImg;
    private final InstantRestores instantRestores;
    private final CopyTracker copies;
    private final Events events;
    private final DomainLocks locks;
    private final FaultPoints faults;

    public ChainEditor(Catalogue catalogue, StorageRouter storage, Checkpoints checkpoints, QemuImg qemuImg,
            InstantRestores instantRestores, CopyTracker copies, Events events, DomainLocks locks, FaultPoints faults) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.checkpoints = checkpoints;
        this.qemuImg = qemuImg;
        this.instantRestores = instantRestores;
        this.copies = copies;
        this.events = events;
        this.locks = locks;
        this.faults = faults;
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
                deleteOne(uuid, f.contains(DeleteFlag.METADATA_ONLY));
            } else if (merge) {
                merge(backup);
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
                .forEach(b -> deleteOne(b.uuid(), f.contains(DeleteFlag.METADATA_ONLY)));
    }

    /** Refuses while any of these backups is running. */
    public static void requireNotRunning(List<Backup> backups) {
        backups.stream().filter(b -> b.state() == JobState.RUNNING).findFirst().ifPresent(b -> {
            throw new BackupException(ErrorCode.INVALID_STATE, "backup " + b.uuid()
                    + " is running; cancel it first (finishJob with CANCEL)");
        });
    }

    /**
     * Folds a backup into its children, then deletes it: each child's images are rebased onto the
     * backup's own parent (or made whole when it has none), copying in what they took from it.
     * A crash midway leaves every image readable: a rebase changes the backing file last.
     */
    private void merge(Backup backup) {
        List<Backup> children = catalogue.children(backup.uuid(), Set.of());
        List<Backup> involved = new ArrayList<>(children);
        involved.add(backup);
        requireNotRunning(involved);
        // The children keep their content and paths through a merge; only the merged backup goes.
        instantRestores.requireNone(catalogue.require(backup.uuid()));
        Backup grandparent = backup.parent() == null ? null : catalogue.require(backup.parent()).backup();
        // On disk before the first rebase: a merge cut short is reconciled from it, here or at the next start.
        MergeIntent intent = MergeIntent.begin(catalogue.require(backup.uuid()).directory(),
                backup.parent(), children.stream().map(Backup::uuid).toList());
        faults.reach("merge.after-intent");
        CopyProgress progress = new CopyProgress(children.stream().flatMap(c -> c.disks().stream())
                .filter(d -> !d.target().isEmpty()).mapToLong(BackupDisk::capacity).sum());
        copies.started(CopyTracker.Kind.MERGE, backup.uuid(), progress);
        try {
            for (Backup child : children) {
                rebaseOnto(child, grandparent, progress, false);
            }
        } catch (RuntimeException e) {
            try {
                reconcile(backup.uuid(), intent);
            } catch (RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        } finally {
            copies.ended(CopyTracker.Kind.MERGE, backup.uuid(), progress);
        }
        deleteOne(backup.uuid(), false); // its directory goes, the intent with it
        LOG.info("Backup {} merged into its {} children", backup.uuid(), children.size());
    }

    /** A merge of the domain cut short in this process (its reconcile failed) is reconciled before any other edit. */
    private void reconcilePending(UUID domain) {
        for (CatalogueEntry e : catalogue.all()) {
            if (e.backup().domain().uuid().equals(domain)) {
                MergeIntent.in(e.directory()).ifPresent(i -> reconcile(e.backup().uuid(), i));
            }
        }
    }

    /**
     * Makes each child of a merge cut short name the parent its images really back onto. A child
     * rebased in part (one disk of two) has its other disks rebased too, as the merged backup is
     * still whole. The merged backup goes when no child is left on it; else it stays with those
     * left, and merging it again finishes the job.
     */
    void reconcile(UUID merged, MergeIntent intent) {
        Backup grandparent = intent.grandparent() == null ? null : catalogue.get(intent.grandparent())
                .map(CatalogueEntry::backup).orElse(null);
        if (intent.grandparent() != null && grandparent == null) {
            // Without it no child's backing can be told: the record stays for a start that can read it.
            throw new BackupException(ErrorCode.CHAIN_BROKEN, "the merge of " + merged + " cannot be reconciled: "
                    + "backup " + intent.grandparent() + ", the children's new parent, is not in the catalogue");
        }
        requireNoneBeingWritten(merged, intent);
        for (UUID uuid : intent.children()) {
            Backup child = catalogue.get(uuid).map(CatalogueEntry::backup).orElse(null);
            if (child == null && catalogue.hasDescriptor(catalogue.require(merged).directory().resolveSibling(uuid.toString()))) {
                throw new BackupException(ErrorCode.CHAIN_BROKEN, "the merge of " + merged + " cannot be reconciled: "
                        + "the descriptor of its child " + uuid + " is unreadable");
            }
            if (child == null || !merged.equals(child.parent())) {
                continue; // gone, or already recorded on its new parent
            }
            boolean moved = child.disks().stream().filter(d -> !d.target().isEmpty())
                    .anyMatch(d -> onto(d, grandparent));
            if (moved) {
                rebaseOnto(child, grandparent, new CopyProgress(0), true);
                LOG.warn("Merge of {} was cut short: child {} was rebased, now recorded on {}", merged, uuid,
                        grandparent == null ? "no parent (full)" : grandparent.uuid());
            }
        }
        List<Backup> left = catalogue.children(merged, Set.of());
        if (left.isEmpty()) {
            deleteOne(merged, false);
            LOG.warn("Merge of {} finished at recovery: every child had moved", merged);
        } else {
            intent.end();
            LOG.warn("Merge of {} was cut short: {} children are still on it, and it stays; merge it again to finish",
                    merged, left.size());
        }
    }

    /**
     * A rebase the killed service started may still run (a child process outlives the JVM): its
     * image's header changes last, so what reconciling reads now would be wrong once it ends.
     */
    private void requireNoneBeingWritten(UUID merged, MergeIntent intent) {
        for (UUID uuid : intent.children()) {
            Optional<CatalogueEntry> child = catalogue.get(uuid);
            if (child.isEmpty()) {
                continue;
            }
            for (BackupDisk d : child.get().backup().disks()) {
                if (!d.target().isEmpty() && qemuImg.inUse(Path.of(d.target()))) {
                    throw new BackupException(ErrorCode.DOMAIN_BUSY, "the merge of " + merged + " cannot be reconciled "
                            + "yet: " + d.target() + " is being written by another process (a rebase the stopped "
                            + "service left running?); the record stays, and the next edit of the domain reconciles it");
                }
            }
        }
    }

    /** Whether a child's disk already backs onto the grandparent's image (none: onto nothing). */
    private boolean onto(BackupDisk disk, Backup grandparent) {
        Optional<Path> backing = qemuImg.backingOf(Path.of(disk.target()));
        if (grandparent == null) {
            return backing.isEmpty();
        }
        return grandparent.disks().stream().filter(g -> g.name().equals(disk.name()))
                .anyMatch(g -> backing.equals(Optional.of(Path.of(g.target()).toAbsolutePath().normalize())));
    }

    /** Rebases a child's images onto the grandparent's (none: made whole) and records it as the grandparent's child. */
    private void rebaseOnto(Backup child, Backup grandparent, CopyProgress progress, boolean skipMoved) {
        CatalogueEntry entry = catalogue.require(child.uuid());
        List<BackupDisk> disks = new ArrayList<>();
        for (BackupDisk disk : child.disks()) {
            if (disk.target().isEmpty()) {
                disks.add(disk); // an unmanaged child: no image, only its place in the tree changes
                continue;
            }
            Path image = Path.of(disk.target());
            if (skipMoved && onto(disk, grandparent)) {
                disks.add(disk.withStored(Paths.sizeOf(image)));
                continue;
            }
            String backing = "";
            if (grandparent != null) {
                BackupDisk base = grandparent.disks().stream().filter(d -> d.name().equals(disk.name())).findFirst()
                        .orElseThrow(() -> new BackupException(ErrorCode.INVALID_STATE, "disk " + disk.name()
                                + " of " + child.uuid() + " has no image in " + grandparent.uuid()));
                backing = image.getParent().relativize(Path.of(base.target())).toString();
            }
            Path log = entry.directory().resolve("merge-" + disk.name() + ".log");
            progress.current(disk.capacity(), log);
            try {
                qemuImg.rebase(image, backing, log);
            } finally {
                Paths.deleteQuietly(log);
            }
            faults.reach("merge.after-rebase");
            progress.diskDone();
            disks.add(disk.withStored(Paths.sizeOf(image)));
        }
        // Its damage mark and firmware state stay: only its place in the chain moved.
        Backup merged = child.withParent(grandparent == null ? null : grandparent.uuid(), disks);
        catalogue.put(entry.with(merged));
        faults.reach("merge.after-descriptor");
    }

    private void deleteOne(UUID uuid, boolean metadataOnly) {
        CatalogueEntry e = catalogue.require(uuid);
        if (Catalogue.inRepository(e)) {
            Paths.privateDirectory(e.directory()); // where its deletion's mark goes: it ran elsewhere, or its directory went
        }
        if (metadataOnly) {
            DirectoryMarks.clear(e.directory()); // its files are the user's now: no mark may make them ours again
        } else {
            // A deletion cut short past this point is finished at the next start: the mark says it was ours.
            DirectoryMarks.deleting(e.directory(), e.backup().domain());
        }
        try {
            catalogue.delete(uuid);
        } catch (RuntimeException failed) {
            DirectoryMarks.clear(e.directory()); // still listed: the mark would be stale
            throw failed;
        }
        faults.reach("delete.after-descriptor");
        if (!metadataOnly) {
            checkpoints.drop(e.backup());
            faults.reach("delete.before-files");
            storage.remove(e.backup(), e.directory());
        } else if (e.backup().inRepository()) {
            storage.remove(e.backup(), e.directory()); // only the directory its mark went in: its chunks stay until a collection
        }
        events.deleted(e.backup());
        LOG.info("Backup {} of {} deleted{}", uuid, e.backup().domain().name(), metadataOnly ? " (metadata only)" : "");
    }
}
