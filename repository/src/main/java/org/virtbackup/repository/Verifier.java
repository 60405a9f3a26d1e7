package org.virtbackup.repository;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Reads every chunk a backup names and checks it: its authentication tag (encrypted), zstd's
 * checksum (compressed), and that its content hashes to its name. A damaged chunk is recorded
 * with every backup that names it ({@code damaged/HEX}), so listings mark them all.
 */
public final class Verifier {

    /**
     * @param chunks distinct chunks read
     * @param bytes plain bytes checked
     * @param damaged the chunks missing or failing a check, with the reason
     * @param damagedBackups every backup naming one of them (this one first)
     */
    public record Report(UUID backup, int chunks, long bytes, Map<ChunkId, String> damaged, Set<UUID> damagedBackups) {

        public boolean whole() {
            return damaged.isEmpty();
        }
    }

    private final Repository repository;
    private final int threads;

    public Verifier(Repository repository, int threads) {
        this.repository = repository;
        this.threads = Math.max(1, threads);
    }

    /**
     * Verifies a backup; {@code progress} receives the plain bytes checked as they are. Each
     * distinct chunk is read once: its indexes are held as stored (32 bytes per chunk), and a
     * chunk is claimed by the first worker to meet it among the distinct marks (8 bytes and a bit
     * each), so a backup of a few TiB verifies within the service's heap. Two chunks alike in their
     * first 8 bytes (one chance in 2^64 per pair) would be read as one.
     */
    public Report verify(UUID backup, LongConsumer progress) {
        Manifest m = repository.manifest(backup).orElseThrow(() -> new RepositoryException(
                RepositoryException.Problem.NOT_FOUND, "no backup " + backup + " in " + repository.store().describe()));
        List<ChunkIndex> indexes = new ArrayList<>();
        ChunkMarks distinct = new ChunkMarks();
        for (Manifest.Disk d : m.disks()) {
            try {
                ChunkIndex index = repository.index(m, d);
                indexes.add(index);
                distinct.mark(index);
            } catch (RepositoryException e) {
                if (e.problem() != RepositoryException.Problem.DAMAGED) {
                    throw e; // the store failing says nothing of the index
                }
                throw new RepositoryException(RepositoryException.Problem.DAMAGED, "backup " + backup
                        + " cannot be verified: " + e.getMessage(), e);
            }
        }
        BitSet claimed = new BitSet(distinct.size());
        Map<ChunkId, String> damaged = new ConcurrentHashMap<>();
        AtomicLong bytes = new AtomicLong();
        AtomicLong next = new AtomicLong();
        long total = indexes.stream().mapToLong(ChunkIndex::size).sum();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "virt-backup-verify-" + backup);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                workers.add(pool.submit(() -> {
                    ChunkBuffer buffer = repository.chunkBuffer();
                    for (long k = next.getAndIncrement(); k < total; k = next.getAndIncrement()) {
                        ChunkId id = claim(indexes, k, distinct, claimed);
                        if (id != null) {
                            check(id, buffer, bytes, progress, damaged);
                        }
                    }
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException(RepositoryException.Problem.IO, "verification of " + backup + " interrupted");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r
                    : new RepositoryException(RepositoryException.Problem.IO, e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        Set<UUID> affected = damaged.isEmpty() ? Set.of() : record(backup, damaged.keySet());
        return new Report(backup, distinct.size(), bytes.get(), Map.copyOf(damaged), affected);
    }

    /** The chunk at position {@code k} of the disks' indexes, if it is not zeros and nobody claimed it before. */
    private static ChunkId claim(List<ChunkIndex> indexes, long k, ChunkMarks distinct, BitSet claimed) {
        for (ChunkIndex index : indexes) {
            if (k < index.size()) {
                int i = (int) k;
                if (index.isZero(i)) {
                    return null;
                }
                int mark = distinct.indexOf(index.prefix(i));
                synchronized (claimed) {
                    if (claimed.get(mark)) {
                        return null;
                    }
                    claimed.set(mark);
                }
                return index.get(i);
            }
            k -= index.size();
        }
        return null;
    }

    private void check(ChunkId id, ChunkBuffer buffer, AtomicLong bytes, LongConsumer progress, Map<ChunkId, String> damaged) {
        try {
            long n = repository.checkedChunk(id, buffer);
            bytes.addAndGet(n);
            progress.accept(n);
        } catch (RepositoryException e) {
            if (e.problem() != RepositoryException.Problem.DAMAGED) {
                // The store failing (an S3 endpoint away, a disk full, a bad sector) says nothing of the chunk
                // for sure: recorded damaged, every backup naming it would be marked so until verified again.
                throw e;
            }
            damaged.put(id, e.getMessage());
        }
    }

    /** Records each damaged chunk with every backup naming it. */
    private Set<UUID> record(UUID backup, Set<ChunkId> damaged) {
        Map<ChunkId, Set<UUID>> naming = new HashMap<>();
        damaged.forEach(id -> naming.put(id, new HashSet<>(Set.of(backup))));
        for (Manifest other : repository.manifests().manifests()) {
            for (Manifest.Disk d : other.disks()) {
                try {
                    for (ChunkId id : repository.index(other, d)) {
                        Set<UUID> s = naming.get(id);
                        if (s != null) {
                            s.add(other.backup());
                        }
                    }
                } catch (RepositoryException e) {
                    // that backup's own verification reports its index
                }
            }
        }
        Set<UUID> all = new LinkedHashSet<>(List.of(backup));
        naming.forEach((id, backups) -> {
            repository.damage().record(id, backups);
            all.addAll(backups);
        });
        return all;
    }
}
