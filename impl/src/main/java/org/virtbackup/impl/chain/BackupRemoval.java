package org.virtbackup.impl.chain;

import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * The removal of one backup, the last step of every deletion and merge. Its directory is marked
 * before its descriptor goes, so that a removal cut short is finished by the next start.
 */
final class BackupRemoval {

    private static final Logger LOG = LoggerFactory.getLogger(BackupRemoval.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final Checkpoints checkpoints;
    private final Events events;
    private final FaultPoints faults;

    BackupRemoval(Catalogue catalogue, StorageRouter storage, Checkpoints checkpoints, Events events, FaultPoints faults) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.checkpoints = checkpoints;
        this.events = events;
        this.faults = faults;
    }

    /** Removes one backup: its descriptor first, then its checkpoint and files (metadata only: its descriptor). */
    void remove(UUID uuid, boolean metadataOnly) {
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
