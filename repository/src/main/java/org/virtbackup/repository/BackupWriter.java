package org.virtbackup.repository;

import java.util.Arrays;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Writes one backup into a repository: chunks (several threads may store at once), then one
 * index per disk, then the manifest. Until the manifest is written and the writer closed, the
 * chunks it named are kept from collection; a writer closed without a manifest leaves chunks
 * that the next collection removes.
 */
public final class BackupWriter implements AutoCloseable {

    /** What storing a chunk did: its id and the bytes it added to the store (0 when it was there). */
    public record Stored(ChunkId id, long newBytes) {
    }

    private final Repository repository;
    private final UUID backup;
    /** The chunks this writer pinned, by id prefix: compact, since a backup of 1 TiB names a million. */
    private final PrefixSet pinned;
    private final Set<ChunkId> repaired = ConcurrentHashMap.newKeySet();
    private final PackWriter packs;
    private final Lease lease;
    /** Scratches to seal into, one per thread storing at once, reused (see Envelope); closed with the writer. */
    private final Queue<Envelope.Scratch> scratches = new ConcurrentLinkedQueue<>();
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong deduplicated = new AtomicLong();
    private volatile boolean committed;
    private volatile boolean closed;

    BackupWriter(Repository repository, UUID backup, Lease lease) {
        this.repository = repository;
        this.backup = backup;
        this.lease = lease;
        this.packs = repository.packs().writer();
        this.pinned = repository.pins().writer();
    }

    public UUID backup() {
        return backup;
    }

    /**
     * Stores a chunk read from a disk unless the repository holds it already, whole as far as
     * anyone knows (a chunk recorded damaged is written again, which repairs it).
     */
    public Stored store(byte[] data, int length) {
        if (closed) {
            throw new IllegalStateException("the writer of backup " + backup + " is closed");
        }
        packs.commitIfOld();
        if (isZero(data, length)) {
            return new Stored(ChunkId.ZERO, 0);
        }
        ChunkId id = repository.name(data, length);
        long added = pin(id, () -> {
            if (exists(id) && !repository.damage().contains(id)) {
                return 0L;
            }
            Envelope.Scratch scratch = scratches.poll();
            scratch = scratch != null ? scratch : new Envelope.Scratch(repository.config().chunkSize());
            try {
                int n = repository.sealChunk(id, data, length, scratch);
                if (!packs.add(id, scratch.out, n)) {
                    return 0L; // another thread of this writer added it meanwhile
                }
                if (repository.damage().contains(id)) {
                    repaired.add(id); // its record goes once this copy is durable, with its pack
                }
                return (long) n;
            } finally {
                scratches.offer(scratch);
                if (closed) {
                    closeScratches(); // a store that outran close(): its context is freed all the same
                }
            }
        });
        (added == 0 ? deduplicated : stored).addAndGet(added == 0 ? length : added);
        return new Stored(id, added);
    }

    /**
     * Names a chunk of the parent backup without reading it; false when the repository no longer
     * holds it, or holds it damaged: then read its data and {@link #store} it.
     */
    public boolean reuse(ChunkId id) {
        packs.commitIfOld();
        if (id.isZero()) {
            return true;
        }
        return pin(id, () -> exists(id) && !repository.damage().contains(id));
    }

    /**
     * Writes a disk's index once every chunk it names is durable: this writer's packs are
     * committed first (what others stored is durable when the index finds it); returns its
     * digest. Call when no {@link #store} of this writer is running.
     */
    public String writeIndex(String disk, ChunkIndex ids) {
        packs.flush();
        for (ChunkId id : repaired) {
            repository.damage().repaired(id);
        }
        repaired.clear();
        return repository.putIndex(backup, disk, ids);
    }

    /**
     * Writes the manifest, the backup's commit: after it, the backup is listed. Refused when the
     * writer's lease lapsed: another host's collection may have removed chunks it names. Asked
     * again once the manifest is written, since the write itself may have outlasted the lease (a
     * store that stalled, an S3 call retried for minutes): then the manifest is removed again.
     */
    public void commit(Manifest manifest) {
        if (!manifest.backup().equals(backup)) {
            throw new IllegalArgumentException("manifest of " + manifest.backup() + " given to the writer of " + backup);
        }
        lease.requireHeld();
        repository.putManifest(manifest);
        try {
            lease.requireHeld();
        } catch (RepositoryException e) {
            try {
                repository.delete(backup);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        committed = true;
    }

    /** Bytes added to the store so far (compressed, sealed). */
    public long storedBytes() {
        return stored.get();
    }

    /** Bytes read that the repository held already. */
    public long deduplicatedBytes() {
        return deduplicated.get();
    }

    public boolean committed() {
        return committed;
    }

    /** Releases the writer's chunks to collection, by this process and (its lease removed) by others. */
    @Override
    public void close() {
        try {
            closed = true;
            packs.close();
            closeScratches();
            repository.pins().release(pinned);
            repository.closed(this);
        } finally {
            lease.close();
        }
    }

    /** Frees the scratches' native zstd contexts. */
    private void closeScratches() {
        for (Envelope.Scratch s = scratches.poll(); s != null; s = scratches.poll()) {
            s.close();
        }
    }

    /** Pins the chunk and runs the check that depends on it, under the pins' lock. */
    private <T> T pin(ChunkId id, Supplier<T> action) {
        return repository.pins().pin(pinned, id, action);
    }

    private boolean exists(ChunkId id) {
        return packs.holds(id) || repository.holds(id);
    }

    private boolean isZero(byte[] data, int length) {
        byte[] zeros = repository.zeros();
        return length <= zeros.length && Arrays.mismatch(data, 0, length, zeros, 0, length) < 0;
    }
}
