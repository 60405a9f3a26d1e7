package org.virtbackup.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What verifications found damaged: one object {@code damaged/HEX} per damaged chunk, listing
 * the backups that named it when it was found. A writer that stores the chunk's data again
 * repairs it and removes the record; a collection that removes the chunk removes it too. A
 * record that cannot be read still counts its chunk damaged, naming no backup: one bad record
 * must not stop backups, collections and listings of the whole repository.
 */
final class DamageRecords {

    static final String PREFIX = "damaged/";

    private final Repository repository;
    private final Map<ChunkId, Set<UUID>> records = new ConcurrentHashMap<>();
    private volatile boolean loaded;

    DamageRecords(Repository repository) {
        this.repository = repository;
    }

    boolean contains(ChunkId id) {
        load();
        return records.containsKey(id);
    }

    Set<ChunkId> chunks() {
        load();
        return Set.copyOf(records.keySet());
    }

    Set<UUID> backups() {
        load();
        return records.values().stream().flatMap(Set::stream).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Records a damaged chunk and the backups naming it. Synchronized with {@link #reload}, which
     * would otherwise drop a record written while it listed the others.
     */
    synchronized void record(ChunkId id, Set<UUID> backups) {
        String text = backups.stream().map(UUID::toString).sorted().collect(Collectors.joining("\n"));
        byte[] plain = text.getBytes(StandardCharsets.US_ASCII);
        repository.objects().put(Envelope.TYPE_DAMAGE, name(id), plain, plain.length);
        records.put(id, Set.copyOf(backups));
    }

    /** The chunk's data was stored again: it is whole. */
    void repaired(ChunkId id) {
        if (contains(id)) {
            forget(id);
        }
    }

    synchronized void forget(ChunkId id) {
        try {
            repository.store().delete(name(id));
        } catch (IOException e) {
            throw Repository.failed("cannot remove the damage record of " + id, e);
        }
        records.remove(id);
    }

    synchronized void reload() {
        Map<ChunkId, Set<UUID>> found = new ConcurrentHashMap<>();
        for (String name : repository.objects().list(PREFIX)) {
            if (!ChunkId.isHex(name.substring(PREFIX.length()))) {
                continue;
            }
            ChunkId id = ChunkId.ofHex(name.substring(PREFIX.length()));
            readable(name).ifPresent(backups -> found.put(id, backups));
        }
        records.keySet().retainAll(found.keySet());
        records.putAll(found);
        loaded = true;
    }

    /**
     * The backups a record names; empty when it went meanwhile (a repair); no backup when it
     * cannot be read or parsed: its chunk still counts as damaged.
     */
    private Optional<Set<UUID>> readable(String name) {
        try {
            return repository.objects().find(Envelope.TYPE_DAMAGE, name, SealedObjects.MAX_METADATA)
                    .map(plain -> Arrays.stream(new String(plain, StandardCharsets.US_ASCII).split("\n"))
                            .filter(s -> !s.isBlank()).map(UUID::fromString).collect(Collectors.toUnmodifiableSet()));
        } catch (RepositoryException e) {
            if (e.problem() != RepositoryException.Problem.DAMAGED) {
                throw e;
            }
            return Optional.of(Set.of());
        } catch (IllegalArgumentException e) { // a line that is not a backup's UUID
            return Optional.of(Set.of());
        }
    }

    /**
     * Whether the chunk's record is in the store now, whatever this process loaded: a collection
     * asks before removing an older copy, since a verification elsewhere may have just found the
     * newest one damaged.
     */
    boolean recordedNow(ChunkId id) {
        if (records.containsKey(id)) {
            return true;
        }
        try {
            return repository.store().exists(name(id));
        } catch (IOException e) {
            throw Repository.failed("cannot look for the damage record of " + id, e);
        }
    }

    private void load() {
        if (!loaded) {
            reload();
        }
    }

    private static String name(ChunkId id) {
        return PREFIX + id.hex();
    }
}
