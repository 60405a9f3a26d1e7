package org.virtbackup.impl.chain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.restore.InstantRestores;

/**
 * Merges a backup into its children and reconciles a merge cut short. The caller holds the
 * domain's lock. What a merge is about to do is on disk first ({@link MergeIntent}), and a rebase
 * changes an image's backing file last, so a crash at any point leaves every image readable and
 * the merge finishable.
 */
final class ChainMerge {

    private static final Logger LOG = LoggerFactory.getLogger(ChainMerge.class);

    private final Catalogue catalogue;
    private final QemuImg qemuImg;
    private final InstantRestores instantRestores;
    private final CopyTracker copies;
    private final BackupRemoval removal;
    private final FaultPoints faults;

    ChainMerge(Catalogue catalogue, QemuImg qemuImg, InstantRestores instantRestores, CopyTracker copies,
            BackupRemoval removal, FaultPoints faults) {
        this.catalogue = catalogue;
        this.qemuImg = qemuImg;
        this.instantRestores = instantRestores;
        this.copies = copies;
        this.removal = removal;
        this.faults = faults;
    }

    /**
     * Folds a backup into its children, then deletes it: each child's images are rebased onto the
     * backup's own parent (or made whole when it has none), copying in what they took from it.
     * A crash midway leaves every image readable: a rebase changes the backing file last.
     */
    void merge(Backup backup) {
        List<Backup> children = catalogue.children(backup.uuid(), Set.of());
        List<Backup> involved = new ArrayList<>(children);
        involved.add(backup);
        ChainEditor.requireNotRunning(involved);
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
        removal.remove(backup.uuid(), false); // its directory goes, the intent with it
        LOG.info("Backup {} merged into its {} children", backup.uuid(), children.size());
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
            removal.remove(merged, false);
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

}
