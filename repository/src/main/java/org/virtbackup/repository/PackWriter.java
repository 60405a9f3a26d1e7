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
 * when that fills), and the thread that fills it closes it with its table while the others go on
 * into the next. (A pack per thread left a small backup a pack per chunk: 7 packs for 8 chunks.)
 * Closed packs are committed as many at a time as their store commits best together (16 in a
 * directory: 256 MiB, synced one by one the packs' syncs held up the writes, README Performance;
 * one on object storage), or all when flushed: synced, renamed to their names, and only then put
 * in the index, so whatever the index finds is durable. Until then another backup does not find
 * their chunks, and may store one again: a duplicate, which collections count as dead space. Packs not
 * committed when the writer closes are removed.
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
    private final List<OpenPack> closed = new ArrayList<>(); // guarded by this
    private volatile long oldestSince; // System.nanoTime() when the oldest pack not committed was opened; 0: none
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
                open.add(filling);
                noteOldest();
            }
            try {
                filling.append(id, stored, length);
            } catch (RuntimeException e) {
                pending.remove(id);
                fail(List.of(filling), e);
                filling = null;
                noteOldest();
                throw e;
            }
            if (filling.full()) {
                full = filling;
                filling = null;
            }
        }
        if (full != null) {
            finish(full);
            List<OpenPack> group = null;
            synchronized (this) {
                closed.add(full);
                noteOldest(); // a commitIfOld meanwhile may have cleared it while this pack was being finished
                if (closed.size() >= packs.commitGroup()) {
                    group = takeClosed();
                }
            }
            if (group != null) {
                commit(group);
            }
        }
        return true;
    }

    /** Whether a pack of this writer, not yet committed, holds the chunk. */
    boolean holds(ChunkId id) {
        return pending.contains(id);
    }

    /**
     * Commits every pack of this writer; call when no {@link #add} is running. Throws if a pack of
     * this writer could not be written: chunks it was given are not stored, and no index may name them.
     */
    void flush() {
        commitAll();
        failIfFailed();
    }

    /** Commits every pack if the oldest has been open for {@link #MAX_OPEN_NANOS} (a backup finding nearly all stored). */
    void commitIfOld() {
        long since = oldestSince;
        if (since != 0 && System.nanoTime() - since >= MAX_OPEN_NANOS) {
            commitAll();
        }
    }

    private void commitAll() {
        OpenPack last;
        List<OpenPack> group;
        synchronized (this) {
            last = filling;
            filling = null;
            group = takeClosed();
        }
        if (last != null) {
            try {
                finish(last);
            } catch (RuntimeException e) {
                fail(group, e);
                throw e;
            }
            group.add(last);
        }
        if (!group.isEmpty()) {
            commit(group);
        }
    }

    /** The closed packs, handed to the caller to commit; guarded by this. */
    private List<OpenPack> takeClosed() {
        List<OpenPack> group = new ArrayList<>(closed);
        closed.clear();
        noteOldest();
        return group;
    }

    /** Guarded by this: when the oldest pack still filling or closed was opened. */
    private void noteOldest() {
        long oldest = filling != null ? filling.opened : 0;
        for (OpenPack p : closed) {
            oldest = oldest == 0 ? p.opened : Math.min(oldest, p.opened);
        }
        oldestSince = oldest;
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
            closed.clear();
            oldestSince = 0;
        }
        open.forEach(this::abandon);
    }

    /** Appends its table: the pack is whole, to be committed. */
    private void finish(OpenPack pack) {
        try {
            pack.finish();
        } catch (RuntimeException e) {
            fail(List.of(pack), e);
            throw e;
        }
    }

    private void commit(List<OpenPack> group) {
        try {
            packs.commit(group.stream().map(p -> p.object).toList());
        } catch (RuntimeException e) {
            fail(group, e);
            throw e;
        }
        for (OpenPack pack : group) {
            open.remove(pack);
            packs.committed(pack.name, pack.table);
            pack.entries.forEach(e -> pending.remove(e.id()));
        }
    }

    /** These packs are lost (their chunks no longer pending), and so is the writer: its backup cannot be whole. */
    private void fail(List<OpenPack> lost, RuntimeException e) {
        lost.forEach(this::abandon);
        failure = failure != null ? failure : e;
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

    /** A pack being filled, then closed with its table, then committed. */
    private final class OpenPack {
        final String name;
        final ObjectStore.NewObject object;
        final List<PackEntry> entries = new ArrayList<>();
        final long opened = System.nanoTime();
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

        void finish() {
            try {
                table = new PackIndex.Table(System.currentTimeMillis(), entries);
                byte[] sealed = packs.sealTable(name, table);
                object.write(sealed, 0, sealed.length);
            } catch (IOException e) {
                throw SealedObjects.failed("cannot write " + name, e);
            }
        }
    }
}
