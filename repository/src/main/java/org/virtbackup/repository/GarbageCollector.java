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
 * chunks listed before marking that are neither marked nor held by a writer of this process
 * ({@link Pins}), and the indexes and damage records of backups without a manifest. A manifest
 * that cannot be read stops the collection before anything is removed: its chunks are unknown.
 */
public final class GarbageCollector {

    /** What a collection removed and kept. */
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
        Pins pins = repository.pins();
        pins.collectionStarted();
        try {
            List<String> chunks = repository.objects().list("chunks/");
            List<String> indexes = repository.objects().list("indexes/");
            Repository.Listing listing = repository.manifests();
            if (!listing.unreadable().isEmpty()) {
                throw new RepositoryException(RepositoryException.Problem.DAMAGED, "collection stopped before removing "
                        + "anything: manifests cannot be read, so the chunks they name are unknown: "
                        + listing.unreadable());
            }
            Set<ChunkId> marked = new HashSet<>();
            Set<UUID> listed = new HashSet<>();
            for (Manifest m : listing.manifests()) {
                listed.add(m.backup());
                for (Manifest.Disk d : m.disks()) {
                    for (ChunkId id : repository.index(m, d)) {
                        if (!id.isZero()) {
                            marked.add(id);
                        }
                    }
                }
            }
            for (UUID backup : unfinished) {
                markWritten(backup, indexes, marked);
            }
            int removed = sweep(chunks, marked, pins);
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
                    repository.store().delete(index);
                    orphans++;
                }
            }
            for (ChunkId id : repository.damage().chunks()) {
                if (!marked.contains(id) && !repository.store().exists(id.objectName())) {
                    repository.damage().forget(id);
                }
            }
            int temporaries = repository.store().removeTemporaries(TEMPORARY_AGE_MILLIS);
            return new Report(chunks.size(), removed, orphans, temporaries);
        } catch (IOException e) {
            throw Repository.failed("collection failed in " + repository.store().describe(), e);
        } finally {
            pins.collectionEnded();
        }
    }

    /** Marks the chunks named by the indexes a backup without a manifest has written so far. */
    private void markWritten(UUID backup, List<String> indexes, Set<ChunkId> marked) {
        String prefix = "indexes/" + backup + "/";
        for (String index : indexes) {
            if (index.startsWith(prefix)) {
                for (ChunkId id : repository.writtenIds(index)) {
                    if (!id.isZero()) {
                        marked.add(id);
                    }
                }
            }
        }
    }

    private int sweep(List<String> chunks, Set<ChunkId> marked, Pins pins) {
        List<ChunkId> candidates = new ArrayList<>();
        for (String name : chunks) {
            String hex = name.substring(name.lastIndexOf('/') + 1);
            if (!ChunkId.isHex(hex) || !ChunkId.ofHex(hex).objectName().equals(name)) {
                continue; // not a chunk's name: not ours to remove
            }
            ChunkId id = ChunkId.ofHex(hex);
            if (!marked.contains(id)) {
                candidates.add(id);
            }
        }
        AtomicInteger removed = new AtomicInteger();
        for (int from = 0; from < candidates.size(); from += BATCH) {
            List<ChunkId> batch = candidates.subList(from, Math.min(candidates.size(), from + BATCH));
            pins.exclusive(() -> {
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
        }
        return removed.get();
    }
}
