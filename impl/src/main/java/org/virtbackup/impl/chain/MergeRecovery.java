package org.virtbackup.impl.chain;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.storage.PlacedImages;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * Finishes, at activation and before anything else runs, what merges cut short by a crash left
 * behind ({@link MergeIntent}): a merged backup still listed is reconciled by the chain editor; one
 * whose descriptor went had moved every child, and what is left of it is removed.
 */
public final class MergeRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(MergeRecovery.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final QemuImg qemuImg;
    private final ChainEditor chains;
    private final DomainLocks locks;

    public MergeRecovery(Catalogue catalogue, StorageRouter storage, QemuImg qemuImg, ChainEditor chains,
            DomainLocks locks) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.qemuImg = qemuImg;
        this.chains = chains;
        this.locks = locks;
    }

    public void recover(List<Path> backupDirectories) {
        for (Path dir : backupDirectories) {
            try {
                MergeIntent.in(dir).ifPresent(intent -> recover(dir, intent));
            } catch (RuntimeException e) { // the service starts anyway; the record stays for the next try
                LOG.error("Cannot recover the merge recorded in {}: {}", dir, e.getMessage());
            }
        }
    }

    private void recover(Path dir, MergeIntent intent) {
        Path own = dir.toAbsolutePath().normalize();
        Optional<Backup> merged = catalogue.all().stream()
                .filter(e -> e.directory().toAbsolutePath().normalize().equals(own)).map(CatalogueEntry::backup).findFirst();
        if (merged.isEmpty()) {
            // Its descriptor went first (deleteOne runs after every child moved): what is left goes,
            // unless the descriptor is only unreadable, or a child listed in the record still reads through it.
            if (catalogue.hasDescriptor(dir) || intent.children().stream().anyMatch(c -> readsThrough(c, own))) {
                LOG.error("The merge recorded in {} cannot be finished: its backup's descriptor is unreadable or a "
                        + "child still backs onto its images; nothing is removed", dir);
                return;
            }
            if (DirectoryMarks.in(dir).isPresent()) {
                // The merge is done; the deletion it ended with is finished by the start-up sweep, checkpoint included.
                LOG.warn("A merge was cut short while deleting the merged backup in {}: the deletion is finished next", dir);
                intent.end();
                return;
            }
            LOG.warn("A merge was cut short while deleting the merged backup in {}: removing what is left", dir);
            storage.remove(UUID.fromString(dir.getFileName().toString()), List.of(), dir);
            return;
        }
        try (DomainLocks.Held held = locks.hold(merged.get().domain(), DomainLocks.Access.EDIT,
                "the recovery of the merge of backup " + merged.get().uuid())) {
            chains.reconcile(merged.get().uuid(), intent);
        }
    }

    /** Whether a listed backup's images back onto something in this directory, or placed elsewhere from it. */
    private boolean readsThrough(UUID child, Path dir) {
        List<Path> placed = PlacedImages.in(dir);
        return catalogue.get(child).map(e -> e.backup().disks().stream().filter(d -> !d.target().isEmpty())
                .anyMatch(d -> qemuImg.backingOf(Path.of(d.target())).map(b -> b.startsWith(dir) || placed.contains(b))
                        .orElse(false)))
                .orElse(false);
    }
}
