package org.virtbackup.repository;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Puts stored chunks into new packs of about {@value #TARGET} bytes, up to {@value #LANES}
 * filling at once: a thread appends to the first pack no other thread is appending to (a copy
 * into its staging buffer, a write of 1 MiB when that fills), and the thread that fills a pack
 * closes it with its table. One pack filling at a time made every thread of a backup wait
 * behind the one whose append waited for the disk: 8 threads spent a third of their time on
 * that lock, and a full backup took as long as reading it plus writing it (README, Performance).
 * Until one pack is full, only the first is used, so a backup smaller than a pack fills one.
 * (A pack per thread left a small backup a pack per chunk: 7 packs for 8 chunks.)
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
    /** Packs filling at once: enough for the 8 to 16 threads of a backup not to queue on one (README, Performance). */
    static final int LANES = 4;
    /** A pack open longer is committed: its temporary must not look abandoned (a collection removes those an hour old). */
    static final long MAX_OPEN_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Packs packs;
    private final Lane[] lanes = new Lane[LANES];
    /** Packs not yet committed or removed. */
    private final Set<OpenPack> open = ConcurrentHashMap.newKeySet();
    /** Packs a commit may take: filling in a lane, or closed; what the ten-minute rule looks at. */
    private final Set<OpenPack> waiting = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean committingOld = new AtomicBoolean();
    /** Whether a pack of this writer was full: from then on, the lanes are used. */
    private volatile boolean spread;
    private final Set<ChunkId> pending = ConcurrentHashMap.newKeySet();
    private final List<OpenPack> closed = new ArrayList<>(); // guarded by this
    private volatile RuntimeException failure;

    PackWriter(Packs packs) {
        this.packs = packs;
        for (int i = 0; i < LANES; i++) {
            lanes[i] = new Lane();
        }
    }

    /** A pack filling, appended to by one thread at a time. */
    private static final class Lane {
        final ReentrantLock lock = new ReentrantLock();
        OpenPack filling; // guarded by lock
    }

    /**
     * Adds a chunk's stored envelope to a pack filling; it is durable once that pack is
     * committed. False when a pack of this writer holds the chunk already (two threads read equal
     * data at once): nothing was added.
     */
    boolean add(ChunkId id, byte[] stored, int length) {
        failIfFailed();
        if (!pending.add(id)) {
            return false;
        }
        OpenPack full = null;
        Lane lane = lock();
        try {
            if (lane.filling == null) {
                lane.filling = newPack();
            }
            lane.filling.append(id, stored, length);
            if (lane.filling.full()) {
                full = lane.filling;
                lane.filling = null;
                spread = true;
                waiting.remove(full); // no commit can take it until it is closed: then it waits again
            }
        } catch (RuntimeException e) { // a pack that cannot be made or written: the writer fails
            pending.remove(id);
            fail(lane.filling == null ? List.of() : List.of(lane.filling), e);
            lane.filling = null;
            throw e;
        } finally {
            lane.lock.unlock();
        }
        if (full != null) {
            finish(full);
            List<OpenPack> group = null;
            synchronized (this) {
                closed.add(full);
                waiting.add(full);
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

    private OpenPack newPack() {
        OpenPack p = new OpenPack(packs.newName());
        open.add(p);
        waiting.add(p);
        return p;
    }

    /**
     * The first lane no other thread holds, else this thread's own: locked. Until a pack of this
     * writer is full, the first lane only: a backup smaller than a pack stays in one.
     */
    private Lane lock() {
        if (!spread) {
            lanes[0].lock.lock();
            if (!spread) {
                return lanes[0];
            }
            lanes[0].lock.unlock();
        }
        for (Lane l : lanes) {
            if (l.lock.tryLock()) {
                return l;
            }
        }
        Lane l = lanes[(int) (Thread.currentThread().getId() % LANES)];
        l.lock.lock();
        return l;
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
        long now = System.nanoTime();
        if (waiting.stream().anyMatch(p -> now - p.opened >= MAX_OPEN_NANOS) && committingOld.compareAndSet(false, true)) {
            try {
                commitAll(); // one thread at a time: the others would each commit the few chunks added meanwhile
            } finally {
                committingOld.set(false);
            }
        }
    }

    private void commitAll() {
        List<OpenPack> last = new ArrayList<>();
        for (Lane lane : lanes) {
            lane.lock.lock();
            try {
                if (lane.filling != null) {
                    last.add(lane.filling);
                    waiting.remove(lane.filling);
                    lane.filling = null;
                }
            } finally {
                lane.lock.unlock();
            }
        }
        List<OpenPack> group;
        synchronized (this) {
            group = takeClosed();
        }
        for (int i = 0; i < last.size(); i++) {
            try {
                finish(last.get(i));
            } catch (RuntimeException e) {
                List<OpenPack> lost = new ArrayList<>(group);
                lost.addAll(last);
                lost.remove(i + group.size()); // removed by finish already
                fail(lost, e);
                throw e;
            }
        }
        group.addAll(last);
        if (!group.isEmpty()) {
            commit(group);
        }
    }

    /** The closed packs, handed to the caller to commit; guarded by this. */
    private List<OpenPack> takeClosed() {
        List<OpenPack> group = new ArrayList<>(closed);
        closed.clear();
        waiting.removeAll(group);
        return group;
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
        for (Lane lane : lanes) {
            lane.lock.lock();
            try {
                lane.filling = null;
            } finally {
                lane.lock.unlock();
            }
        }
        synchronized (this) {
            closed.clear();
        }
        waiting.clear();
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
        waiting.remove(pack);
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
