package org.virtbackup.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A repository's packs: objects {@code packs/XX/HEX} holding the envelopes of many chunks one
 * after another, then their table (each chunk's id, offset and length, in an envelope of type
 * 'P' bound to the pack's name), then the table's length in 4 bytes. A file per chunk cost 3.9
 * times the CPU of the same bytes in 16 MiB objects ({@code RESULT repository-objects}), and an
 * object store charges per object too. The tables of all packs are held in a {@link PackIndex},
 * loaded when first needed and refreshed when a chunk is not found or a writer starts.
 */
final class Packs {

    static final String PREFIX = "packs/";
    static final byte TYPE_TABLE = 'P';
    /** Entries a pack may hold: its table stays under 160 KiB. */
    static final int MAX_ENTRIES = 4096;
    private static final int ENTRY = ChunkId.LENGTH + 2 * Integer.BYTES;
    private static final int TAIL = Integer.BYTES;
    private static final int TABLE_OVERHEAD = 64 << 10;

    private final ObjectStore store;
    private final Envelope envelope;
    private final PackIndex index = new PackIndex();
    private final Map<String, String> unreadable = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private boolean loaded;

    Packs(ObjectStore store, Envelope envelope) {
        this.store = store;
        this.envelope = envelope;
    }

    /** Loads the tables of the packs written since the last look, by anyone, and forgets the packs gone. */
    synchronized void refresh() {
        Set<String> known = index.packs(); // before listing: a pack committed meanwhile is not taken for gone
        Set<String> listed = new HashSet<>();
        try {
            store.forEach(PREFIX, name -> {
                if (isPack(name)) {
                    listed.add(name);
                }
            });
        } catch (IOException e) {
            throw SealedObjects.failed("cannot list the packs in " + store.describe(), e);
        }
        Map<String, PackIndex.Table> added = new LinkedHashMap<>();
        for (String pack : listed) {
            if (!known.contains(pack) && !unreadable.containsKey(pack)) {
                try {
                    added.put(pack, readTable(pack));
                } catch (RepositoryException e) {
                    if (e.problem() == RepositoryException.Problem.KEY_MISSING || e.problem() == RepositoryException.Problem.IO) {
                        throw e;
                    }
                    if (exists(pack)) { // else removed since it was listed: nothing to load
                        unreadable.put(pack, e.getMessage()); // its chunks are missing: verify reports the backups naming them
                    }
                }
            }
        }
        index.add(added);
        known.stream().filter(p -> !listed.contains(p)).forEach(index::remove);
        unreadable.keySet().retainAll(listed);
        loaded = true;
    }

    private boolean exists(String pack) {
        try {
            return store.exists(pack);
        } catch (IOException e) {
            throw SealedObjects.failed("cannot look for " + pack + " in " + store.describe(), e);
        }
    }

    /** Every copy of a chunk, newest first. */
    List<PackIndex.Location> find(ChunkId id) {
        load();
        return index.find(id);
    }

    boolean contains(ChunkId id) {
        load();
        return index.contains(id);
    }

    /** The packs known, by name. */
    Set<String> names() {
        load();
        return index.packs();
    }

    /** Packs whose table cannot be read, with the reason: their chunks are missing. */
    Map<String, String> unreadable() {
        load();
        return Map.copyOf(unreadable);
    }

    /** A copy's stored envelope; empty if its pack is gone (collected, or rewritten by a collection). */
    Optional<byte[]> read(PackIndex.Location at) {
        try {
            Optional<byte[]> stored = store.get(at.pack(), at.offset(), at.length());
            if (stored.isPresent() && stored.get().length != at.length()) {
                throw Envelope.damaged(at.pack(), "it ends before its chunk at offset " + at.offset());
            }
            return stored;
        } catch (IOException e) {
            throw SealedObjects.failed("cannot read " + at.pack() + " from " + store.describe(), e);
        }
    }

    /** {@link #read(PackIndex.Location)} into {@code into}: false if its pack is gone. */
    boolean read(PackIndex.Location at, byte[] into) {
        try {
            int n = store.read(at.pack(), at.offset(), into, at.length());
            if (n >= 0 && n != at.length()) {
                throw Envelope.damaged(at.pack(), "it ends before its chunk at offset " + at.offset());
            }
            return n >= 0;
        } catch (IOException e) {
            throw SealedObjects.failed("cannot read " + at.pack() + " from " + store.describe(), e);
        }
    }

    /** A pack's entries, as its table lists them. */
    List<PackEntry> table(String pack) {
        return readTable(pack).entries();
    }

    /** A pack's table: when it was written, and its entries. */
    PackIndex.Table readTable(String pack) {
        try {
            OptionalLong size = store.size(pack);
            long total = size.isPresent() ? size.getAsLong() : store.get(pack).map(b -> (long) b.length).orElse(-1L);
            if (total < 0) {
                throw Envelope.damaged(pack, "it is missing");
            }
            byte[] tail = store.get(pack, Math.max(0, total - TAIL), TAIL).orElse(new byte[0]);
            if (tail.length != TAIL) {
                throw Envelope.damaged(pack, "it is too short to be a pack");
            }
            int length = ByteBuffer.wrap(tail).getInt();
            int max = Long.BYTES + MAX_ENTRIES * ENTRY + TABLE_OVERHEAD;
            if (length <= 0 || length > max || length > total - TAIL) {
                throw Envelope.damaged(pack, "its table length " + length + " is impossible");
            }
            long tableAt = total - TAIL - length;
            byte[] sealed = store.get(pack, tableAt, length).orElseThrow(() -> Envelope.damaged(pack, "it is missing"));
            byte[] plain = envelope.open(TYPE_TABLE, pack, sealed, Long.BYTES + MAX_ENTRIES * ENTRY);
            if (plain.length < Long.BYTES || (plain.length - Long.BYTES) % ENTRY != 0) {
                throw Envelope.damaged(pack, "its table is not a time and a whole number of entries");
            }
            ByteBuffer b = ByteBuffer.wrap(plain);
            long created = b.getLong();
            List<PackEntry> entries = new ArrayList<>(plain.length / ENTRY);
            for (int at = Long.BYTES; at < plain.length; at += ENTRY) {
                ChunkId id = ChunkId.of(plain, at);
                b.position(at + ChunkId.LENGTH);
                int offset = b.getInt();
                int len = b.getInt();
                if (offset < 0 || len <= 0 || (long) offset + len > tableAt) {
                    throw Envelope.damaged(pack, "its table places chunk " + id + " outside its chunks");
                }
                entries.add(new PackEntry(id, offset, len));
            }
            return new PackIndex.Table(created, entries);
        } catch (IOException e) {
            throw SealedObjects.failed("cannot read " + pack + " from " + store.describe(), e);
        }
    }

    /** A pack's table as stored: sealed, then its length. */
    byte[] sealTable(String pack, PackIndex.Table table) {
        ByteBuffer plain = ByteBuffer.allocate(Long.BYTES + table.entries().size() * ENTRY).putLong(table.created());
        for (PackEntry e : table.entries()) {
            byte[] id = new byte[ChunkId.LENGTH];
            e.id().copyTo(id, 0);
            plain.put(id).putInt(e.offset()).putInt(e.length());
        }
        byte[] sealed = envelope.seal(TYPE_TABLE, pack, plain.array(), plain.capacity());
        return ByteBuffer.allocate(sealed.length + TAIL).put(sealed).putInt(sealed.length).array();
    }

    /** A new pack object, under a random name. */
    ObjectStore.NewObject create(String name) {
        try {
            return store.create(name);
        } catch (IOException e) {
            throw SealedObjects.failed("cannot write " + name + " to " + store.describe(), e);
        }
    }

    String newName() {
        byte[] b = new byte[ChunkId.LENGTH];
        random.nextBytes(b);
        String hex = HexFormat.of().formatHex(b);
        return PREFIX + hex.substring(0, 2) + "/" + hex;
    }

    /** Commits new packs together ({@link ObjectStore#commit(List)}): whole and durable when this returns. */
    void commit(List<ObjectStore.NewObject> packs) {
        try {
            store.commit(packs);
        } catch (IOException e) {
            throw SealedObjects.failed("cannot write " + packs.size() + " packs to " + store.describe(), e);
        }
    }

    /** How many closed packs a writer commits together ({@link ObjectStore#commitGroup()}). */
    int commitGroup() {
        return Math.max(1, store.commitGroup());
    }

    /** A committed pack: durable, so its chunks may now be named. */
    void committed(String pack, PackIndex.Table table) {
        index.add(Map.of(pack, table));
    }

    /**
     * Removes a pack: from the store, then from the index (a caller holds the pins' exclusive
     * lock, so no writer looks meanwhile). In the other order a refresh between the two could
     * list the pack, not know it, and load it back.
     */
    void delete(String pack) {
        try {
            store.delete(pack);
        } catch (IOException e) {
            throw SealedObjects.failed("cannot remove " + pack + " from " + store.describe(), e);
        }
        index.remove(pack);
    }

    PackWriter writer() {
        return new PackWriter(this);
    }

    private synchronized void load() {
        if (!loaded) {
            refresh();
        }
    }

    static boolean isPack(String name) {
        if (!name.startsWith(PREFIX)) {
            return false;
        }
        String hex = name.substring(name.lastIndexOf('/') + 1);
        return ChunkId.isHex(hex) && name.equals(PREFIX + hex.substring(0, 2) + "/" + hex);
    }
}
