package org.virtbackup.impl.restore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.Ticker;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * QEMU's access to the backups a domain restored instantly reads through: its overlay's backing
 * chain. Opened for exactly that chain before the domain starts (libvirt then hands the images
 * themselves to QEMU's user while it runs), and taken back by a sweep every few seconds once no
 * such domain reads the chain any more.
 */
public final class InstantRestoreAccess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InstantRestoreAccess.class);
    private static final long SWEEP_SECONDS = 5;

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final InstantRestores records;
    /** Backup directories opened since this started; with the recorded chains, what a sweep may close. */
    private final Set<Path> opened = ConcurrentHashMap.newKeySet();
    private final Ticker sweeper = new Ticker("virt-backup-instant-restore-sweep");

    public InstantRestoreAccess(Catalogue catalogue, StorageRouter storage, InstantRestores records) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.records = records;
    }

    /** Sweeps now (what went while the service was away), then every few seconds. */
    public void start() {
        sweeper.repeat(Duration.ZERO, Duration.ofSeconds(SWEEP_SECONDS), this::sweep, e -> LOG.warn(
                "Sweeping the instant restores failed (tried again in {} s): {}", SWEEP_SECONDS, e.getMessage()));
    }

    @Override
    public void close() {
        sweeper.close();
    }

    /**
     * Defines a domain restored instantly on the backup, with QEMU's user let through to its chain
     * first, and records its overlays (before it is started: one that fails to start still reads
     * the chain). No sweep runs meanwhile, so none
     * closes the chain between its opening and the record that keeps it open; one that fails
     * leaves no record, and the next sweep closes the chain again.
     */
    synchronized DomainRef define(CatalogueEntry backup, Supplier<DomainRef> define,
            Function<DomainRef, List<InstantRestores.Use>> overlays, Consumer<DomainRef> undefine) {
        List<Path> chain = chain(backup);
        storage.openToQemu(chain);
        opened.addAll(chain);
        DomainRef domain = define.get();
        try {
            records.add(backup.directory(), overlays.apply(domain));
        } catch (RuntimeException e) {
            // Unrecorded, its chain could be deleted or merged under it: the domain goes, and the restore is undone.
            String kept = "so the domain is not kept";
            try {
                undefine.accept(domain);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
                // Its overlays go with the restore's undo: defined without its disks, it cannot read the chain.
                kept = "and undefining domain " + domain.name() + " failed too (" + again.getMessage()
                        + "): it is left defined without its disks; undefine it";
            }
            throw new BackupException(ErrorCode.IO_ERROR, "the instant restore's record of domain " + domain.name()
                    + " could not be written, " + kept + ": " + e.getMessage(), e);
        }
        return domain;
    }

    /** Forgets the domains that went, and closes every chain no remaining one reads. */
    synchronized void sweep() {
        Set<Path> needed = new HashSet<>();
        Set<Path> closable = new HashSet<>(opened);
        for (CatalogueEntry e : catalogue.all()) {
            if (InstantRestores.of(e.directory()).isEmpty()) {
                continue;
            }
            List<Path> chain = chain(e);
            closable.addAll(chain);
            if (records.forgetGone(e.directory())) {
                needed.addAll(chain);
            }
        }
        closable.removeAll(needed);
        closable.forEach(storage::closeToQemu);
        opened.removeAll(closable);
    }

    /** The directories of the backup and of every ancestor: its images' backing chain. */
    private List<Path> chain(CatalogueEntry backup) {
        List<Path> dirs = new ArrayList<>();
        for (CatalogueEntry e = backup; e != null; ) {
            dirs.add(e.directory());
            UUID parent = e.backup().parent();
            e = parent == null ? null : catalogue.get(parent).orElse(null);
        }
        return dirs;
    }
}
