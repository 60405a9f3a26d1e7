package org.virtbackup.repository;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Puts stored chunks into new packs of about {@value #TARGET} bytes, one filling at a time: the
 * threads of a backup append to it in turn (a copy into its staging buffer, a write of 1 MiB
 * when that fills), and the thread that fills it commits it while the others go on into the next.
 * (A pack per thread left a small backup a pack per chunk: 7 packs for 8 chunks.) A pack is
 * committed when full or flushed: its table appended, synced, renamed to its name, and only then
 * put in the index, so whatever the index finds is durable. Packs not committed when the writer
 * closes are removed.
 */
final class PackWriter implements AutoCloseable {

    /** 16 MiB: 128 such objects took a quarter of the CPU of 2048 of 1 MiB (RESULT repository-objects). */
    static final long TARGET = 16 << 20;
    /** A pack open longer is committed: its temporary must not look abandoned (a collection removes those an hour old). */
    static final long MAX_OPEN_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Packs packs;
    private final Set<OpenPack> open = ConcurrentHashMap.newKeySet();
    private final Set<ChunkId> pending = ConcurrentHashMap.newKeySet();
    private OpenPack filling; // guarded by this
    private volatile long fillingSince; // System.nanoTime() when the pack filling was opened; 0: none
    private volatile RuntimeException failure;

    PackWriter(Packs packs) {
        this.packs = packs;
    }

    /**
     * Adds a chunk's stored envelope to the pack filling; it is durable once that pack is
     * committed. False when a pack of this writer holds the chunk already (two threads read equal
     * data at once): nothing was added.
     */
    boolean add(ChunkId id, byte[] stored, int length) {
        failIfFailed();
        OpenPack full = null;
        synchronized (this) {
            if (!pending.add(id)) {
                return false;
            }
            if (filling == null) {
                filling = new OpenPack(packs.newName());
                fillingSince = System.nanoTime();
                open.add(filling);
            }
            try {
                filling.append(id, stored, length);
            } catch (RuntimeException e) {
                pending.remove(id);
                abandon(filling);
                filling = null;
                fillingSince = 0;
                failure = failure != null ? failure : e;
                throw e;
            }
            if (filling.full()) {
                full = filling;
                filling = null;
                fillingSince = 0;
            }
        }
        if (full != null) {
            commit(full);
        }
        return true;
    }

    /** Whether a pack of this writer, not yet committed, holds the chunk. */
    boolean holds(ChunkId id) {
        return pending.contains(id);
    }

    /**
     * Commits the pack filling; call when no {@link #add} is running. Throws if a pack of this
     * writer could not be written: chunks it was given are not stored, and no index may name them.
     */
    void flush() {
        commitFilling();
        failIfFailed();
    }

    /** Commits the pack filling if it has been open for {@link #MAX_OPEN_NANOS} (a backup finding nearly all stored). */
    void commitIfOld() {
        long since = fillingSince;
        if (since != 0 && System.nanoTime() - since >= MAX_OPEN_NANOS) {
            commitFilling();
        }
    }

    private void commitFilling() {
        OpenPack last;
        synchronized (this) {
            last = filling;
            filling = null;
            fillingSince = 0;
        }
        if (last != null) {
            commit(last);
        }
    }

    private void failIfFailed() {
        RuntimeException f = failure;
        if (f != null) {
            throw new RepositoryException(RepositoryException.Problem.IO, "a pack of this backup could not be written: "
                    + f.getMessage(), f);
        }
    }

    /** Removes the packs not committed; call when no {@link #add} or commit is running. */
    @Override
    public void close() {
        synchronized (this) {
            filling = null;
        }
        open.forEach(this::abandon);
    }

    private void commit(OpenPack pack) {
        try {
            pack.commit();
        } catch (RuntimeException e) {
            abandon(pack);
            failure = failure != null ? failure : e;
            throw e;
        }
        open.remove(pack);
        packs.committed(pack.name, pack.table);
        pack.entries.forEach(e -> pending.remove(e.id()));
    }

    private void abandon(OpenPack pack) {
        open.remove(pack);
        pack.entries.forEach(e -> pending.remove(e.id()));
        try {
            pack.object.close();
        } catch (IOException e) {
            // a temporary left behind: the next collection removes it
        }
    }

    /** A pack being filled, then committed. */
    private final class OpenPack {
        final String name;
        final ObjectStore.NewObject object;
        final List<PackEntry> entries = new ArrayList<>();
        PackIndex.Table table;

        OpenPack(String name) {
            this.name = name;
            this.object = packs.create(name);
        }

        void append(ChunkId id, byte[] stored, int length) {
            try {
                int offset = Math.toIntExact(object.size());
                object.write(stored, 0, length);
                entries.add(new PackEntry(id, offset, length));
            } catch (IOException e) {
                throw SealedObjects.failed("cannot write " + name, e);
            }
        }

        boolean full() {
            return object.size() >= TARGET || entries.size() >= Packs.MAX_ENTRIES;
        }

        void commit() {
            try {
                table = new PackIndex.Table(System.currentTimeMillis(), entries);
                byte[] sealed = packs.sealTable(name, table);
                object.write(sealed, 0, sealed.length);
                object.commit();
                object.close();
            } catch (IOException e) {
                throw SealedObjects.failed("cannot write " + name, e);
            }
        }
    }
}
