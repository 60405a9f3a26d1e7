package org.virtbackup.repository;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The chunks that writers of this process are about to name in manifests not yet written, kept
 * from collection. A writer pins a chunk and checks that it is stored under the read lock; a
 * collection deletes under the write lock, after checking the pins: so either the chunk was
 * pinned before the collection looked, and stays, or it was deleted first, and the writer sees
 * it missing and stores it again. Pins released while a collection runs are kept until it ends,
 * since its list of manifests may predate the manifest that now names them.
 */
final class Pins {

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<ChunkId, Integer> pinned = new ConcurrentHashMap<>();
    private final Set<ChunkId> retained = ConcurrentHashMap.newKeySet();
    private int collections;

    /** Pins the chunk and runs the check or write that depends on it, excluding deletions meanwhile. */
    <T> T pin(ChunkId id, Supplier<T> action) {
        lock.readLock().lock();
        try {
            pinned.merge(id, 1, Integer::sum);
            return action.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Releases a writer's pins: its manifest is durable, or it gave up. */
    void release(Collection<ChunkId> ids) {
        boolean collecting;
        synchronized (this) {
            collecting = collections > 0;
        }
        for (ChunkId id : ids) {
            if (collecting) {
                retained.add(id);
            }
            pinned.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
        }
    }

    synchronized void collectionStarted() {
        collections++;
    }

    synchronized void collectionEnded() {
        if (--collections == 0) {
            retained.clear();
        }
    }

    /** Runs a batch of deletions with no writer checking or pinning meanwhile. */
    void exclusive(Runnable deletions) {
        lock.writeLock().lock();
        try {
            deletions.run();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether a writer holds the chunk or released it during a collection still running; call inside {@link #exclusive}. */
    boolean isHeld(ChunkId id) {
        return pinned.containsKey(id) || retained.contains(id);
    }
}
