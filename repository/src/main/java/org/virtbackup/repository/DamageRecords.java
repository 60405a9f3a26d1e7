package org.virtbackup.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * What verifications found damaged: one object {@code damaged/HEX} per damaged chunk, listing
 * the backups that named it when it was found. A writer that stores the chunk's data again
 * repairs it and removes the record; a collection that removes the chunk removes it too.
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

    /** Records a damaged chunk and the backups naming it. */
    void record(ChunkId id, Set<UUID> backups) {
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

    void forget(ChunkId id) {
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
            String text = new String(repository.objects().read(Envelope.TYPE_DAMAGE, name, SealedObjects.MAX_METADATA),
                    StandardCharsets.US_ASCII);
            found.put(id, Arrays.stream(text.split("\n")).filter(s -> !s.isBlank()).map(UUID::fromString)
                    .collect(Collectors.toUnmodifiableSet()));
        }
        records.keySet().retainAll(found.keySet());
        records.putAll(found);
        loaded = true;
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
