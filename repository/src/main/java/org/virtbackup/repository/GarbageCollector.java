package org.virtbackup.repository;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Removes what no manifest names: mark every chunk the manifests' indexes name, then sweep the
 * packs listed before marking of the chunks neither marked nor held by a writer of this process
 * ({@link Pins}; {@link PackSweep}), and the indexes and damage records of backups without a
 * manifest. Chunks a version-1 repository stored one per object are swept one by one. A manifest
 * that cannot be read stops the collection before anything is removed: its chunks are unknown.
 */
public final class GarbageCollector {

    /** What a collection removed and kept: chunks counted as copies in packs (and loose). */
    public record Report(int chunksBefore, int chunksRemoved, int indexesRemoved, int temporariesRemoved) {
    }

    /** A temporary this old is a write a crash cut short, not one under way. */
    private static final long TEMPORARY_AGE_MILLIS = 60 * 60 * 1000L;

    private static final int BATCH = 512;

    private final Repository repository;

    public GarbageCollector(Repository repository) {
        this.repository = repository;
    }

    /** Collects; backups being written in this process keep their chunks and indexes. */
    public Report collect() {
        return collect(Set.of());
    }

    /**
     * Collects; backups being written in this process, and the backups {@code unfinished} names
     * (recorded as running by the caller, their manifests not written yet: a job that ended just
     * before a restart), keep their chunks and indexes.
     */
    public Report collect(Set<UUID> unfinished) {
        Lease lease = repository.leases().collect("a collection");
        Pins pins = repository.pins();
        pins.collectionStarted();
        try {
            // First: a collection that stops later (a manifest it cannot read) still ends what
            // crashed puts left, S3's unfinished multipart uploads among them, which are billed.
            int temporaries = repository.store().removeTemporaries(TEMPORARY_AGE_MILLIS);
            repository.damage().reload(); // other hosts' verifications: every copy of a damaged chunk stays
            // Listed before the manifests: a chunk stored later is not a candidate.
            repository.packs().refresh();
            Set<String> packs = repository.packs().names();
            ChunkIndex loose = repository.config().looseChunks() ? listChunks() : new ChunkIndex.Builder().build();
            List<String> indexes = repository.objects().list("indexes/");
            Repository.Listing listing = repository.manifests();
            if (!listing.unreadable().isEmpty()) {
                throw new RepositoryException(RepositoryException.Problem.DAMAGED, "collection stopped before removing "
                        + "anything: manifests cannot be read, so the chunks they name are unknown: "
                        + listing.unreadable());
            }
            ChunkMarks marked = new ChunkMarks();
            Set<UUID> listed = new HashSet<>();
            for (Manifest m : listing.manifests()) {
                listed.add(m.backup());
                for (Manifest.Disk d : m.disks()) {
                    marked.mark(repository.index(m, d));
                }
            }
            for (UUID backup : unfinished) {
                markWritten(backup, indexes, marked);
            }
            PackSweep.Result swept = new PackSweep(repository.packs(), marked, pins, repository.damage()::contains,
                    repository.damage()::recordedNow, lease::requireHeld).sweep(packs);
            int removed = swept.removed() + sweep(loose, marked, pins, lease);
            int orphans = 0;
            for (String index : indexes) {
                String[] parts = index.split("/");
                Optional<UUID> named = parts.length == 3 ? Repository.uuid(parts[1]) : Optional.empty();
                if (named.isEmpty()) {
                    continue; // not an index's name: not ours to remove
                }
                UUID backup = named.get();
                if (!listed.contains(backup) && !unfinished.contains(backup) && !repository.isWriting(backup)
                        && !repository.store().exists(Manifest.objectName(backup))) {
                    lease.requireHeld();
                    repository.store().delete(index);
                    orphans++;
                }
            }
            for (ChunkId id : repository.damage().chunks()) {
                if (!marked.isMarked(id) && !repository.holds(id)) {
                    lease.requireHeld();
                    repository.damage().forget(id);
                }
            }
            return new Report(swept.entries() + loose.size(), removed, orphans, temporaries);
        } catch (IOException e) {
            throw Repository.failed("collection failed in " + repository.store().describe(), e);
        } finally {
            pins.collectionEnded();
            lease.close();
        }
    }

    /** Marks the chunks named by the indexes a backup without a manifest has written so far. */
    private void markWritten(UUID backup, List<String> indexes, ChunkMarks marked) {
        String prefix = "indexes/" + backup + "/";
        for (String index : indexes) {
            if (index.startsWith(prefix)) {
                marked.mark(repository.writtenIds(index));
            }
        }
    }

    /** The chunks stored one per object (version 1), listed one name at a time into 32 bytes each (others' files skipped). */
    private ChunkIndex listChunks() {
        ChunkIndex.Builder ids = new ChunkIndex.Builder();
        repository.objects().forEach("chunks/", name -> {
            String hex = name.substring(name.lastIndexOf('/') + 1);
            if (ChunkId.isHex(hex)) {
                ChunkId id = ChunkId.ofHex(hex);
                if (id.objectName().equals(name)) {
                    ids.add(id);
                }
            } // else not a chunk's name: not ours to remove
        });
        return ids.build();
    }

    /** Removes the unmarked loose chunks no writer holds, a batch at a time under the pins' exclusive lock. */
    private int sweep(ChunkIndex stored, ChunkMarks marked, Pins pins, Lease lease) {
        AtomicInteger removed = new AtomicInteger();
        List<ChunkId> batch = new ArrayList<>(BATCH);
        for (int i = 0; i <= stored.size(); i++) {
            if (i < stored.size() && !marked.isMarked(stored.prefix(i))) {
                batch.add(stored.get(i));
            }
            if (batch.size() == BATCH || i == stored.size() && !batch.isEmpty()) {
                pins.exclusive(() -> {
                    lease.requireHeld(); // after the wait for the lock
                    for (ChunkId id : batch) {
                        if (!pins.isHeld(id)) {
                            try {
                                repository.store().delete(id.objectName());
                            } catch (IOException e) {
                                throw Repository.failed("cannot remove chunk " + id, e);
                            }
                            removed.incrementAndGet();
                        }
                    }
                });
                batch.clear();
            }
        }
        return removed.get();
    }
}
