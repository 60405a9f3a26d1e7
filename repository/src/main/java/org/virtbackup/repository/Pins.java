package org.virtbackup.repository;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The chunks that writers of this process are about to name in manifests not yet written, kept
 * from collection. A writer pins a chunk and checks that it is stored under the read lock; a
 * collection deletes under the write lock, after checking the pins: so either the chunk was
 * pinned before the collection looked, and stays, or it was deleted first, and the writer sees
 * it missing and stores it again. Pins released while a collection runs are kept until it ends,
 * since its list of manifests may predate the manifest that now names them. Each writer's pins
 * are its own set of id prefixes ({@link PrefixSet}, 16 to 32 bytes per chunk), looked
 * through one by one: a process runs a few writers at once.
 */
final class Pins {

    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final List<PrefixSet> writers = new CopyOnWriteArrayList<>();
    private final List<PrefixSet> retained = new CopyOnWriteArrayList<>();
    private int collections;

    /** A new writer's pins. */
    PrefixSet writer() {
        PrefixSet pins = new PrefixSet();
        writers.add(pins);
        return pins;
    }

    /** Pins the chunk for the writer and runs the check or write that depends on it, excluding deletions meanwhile. */
    <T> T pin(PrefixSet writer, ChunkId id, Supplier<T> action) {
        lock.readLock().lock();
        try {
            writer.add(id.prefix());
            return action.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Releases a writer's pins: its manifest is durable, or it gave up. During a collection they
     * join the retained ones before they leave the writers': a sweep looking in between (it does
     * not take this monitor) finds them in one list or the other.
     */
    synchronized void release(PrefixSet writer) {
        if (collections > 0 && writers.contains(writer)) {
            retained.add(writer);
        }
        writers.remove(writer);
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

    /**
     * Whether a writer holds the chunk or released it during a collection still running; call
     * inside {@link #exclusive}. By the first 8 bytes of its id, like a collection's marks: a
     * chunk sharing them with a held one is kept too.
     */
    boolean isHeld(ChunkId id) {
        long prefix = id.prefix();
        for (PrefixSet w : writers) {
            if (w.contains(prefix)) {
                return true;
            }
        }
        for (PrefixSet w : retained) {
            if (w.contains(prefix)) {
                return true;
            }
        }
        return false;
    }
}
