package org.virtbackup.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.FileObjectStore;
import org.virtbackup.repository.Repository;

/**
 * How the repository's chunk size trades stored bytes against chunks (entries of pack tables, held
 * in memory by the pack index and by a running backup's pins): for each candidate size,
 * a full backup of a 512 MiB disk of random data into a new repository (the real writer: names,
 * zstd, durable objects), then 64 scattered 1 MiB writes, then an incremental that stores every
 * chunk a write touched (dirty bitmaps have 64 KiB granules, finer than any candidate). Writes
 * are 1 MiB-aligned (as {@code dd bs=1M} in the guest benchmarks) or 4 KiB-aligned (as a guest
 * file system places them). Needs no guest: it measures the format, not the host.
 */
final class ChunkSizeBenchmark implements Benchmark {

    private static final int BLOCK = 4096;
    private static final long DISK = 512L << 20;
    private static final int WRITES = 64;
    private static final int WRITE = 1 << 20;
    private static final int[] SIZES = {64 << 10, 256 << 10, 1 << 20, 4 << 20};

    @Override
    public String name() {
        return "repository-chunk-size";
    }

    @Override
    public String description() {
        return "stored bytes of 64 scattered 1 MiB writes and chunks per 512 MiB, per chunk size";
    }

    @Override
    public List<Result> run(BenchContext context) throws Exception {
        List<Result> results = new ArrayList<>();
        for (int size : SIZES) {
            String label = size >= 1 << 20 ? (size >> 20) + "M" : (size >> 10) + "K";
            for (boolean aligned : new boolean[] {true, false}) {
                Path dir = Files.createDirectories(context.workDir().resolve("chunks-" + label + (aligned ? "-a" : "-u")));
                Repository repo = Repository.create(new FileObjectStore(dir), size, null);
                VirtualDisk disk = new VirtualDisk();
                int chunks = (int) (DISK / size);
                boolean[] all = new boolean[chunks];
                Arrays.fill(all, true);
                long full = backup(repo, disk, size, all);
                int stored = chunks; // each chunk of random data is stored once
                boolean[] dirty = new boolean[chunks];
                SplittableRandom r = new SplittableRandom(size + (aligned ? 1 : 2));
                for (int i = 0; i < WRITES; i++) {
                    long at = aligned ? r.nextLong(DISK / WRITE) * WRITE : r.nextLong((DISK - WRITE) / BLOCK) * BLOCK;
                    disk.write(at, WRITE);
                    for (long c = at / size; c <= (at + WRITE - 1) / size; c++) {
                        dirty[(int) c] = true;
                    }
                }
                long incremental = backup(repo, disk, size, dirty);
                context.say("chunk %s, %s writes: full %d chunks, %d bytes; incremental %d bytes", label,
                        aligned ? "1 MiB-aligned" : "4 KiB-aligned", stored, full, incremental);
                String kind = aligned ? "aligned" : "unaligned";
                results.add(Result.of(name(), "stored-over-dirtied-" + kind + "-" + label,
                        incremental / (double) ((long) WRITES * WRITE)));
                if (aligned) {
                    results.add(new Result(name(), "chunks-per-GiB-" + label, String.valueOf(stored * 2L)));
                }
                try (var files = Files.walk(dir)) { // the work directory goes afterwards; this one now, for room
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        return results;
    }

    /** Stores the chunks marked; returns the bytes added to the repository. */
    private static long backup(Repository repo, VirtualDisk disk, int size, boolean[] chunks) {
        byte[] buf = new byte[size];
        try (BackupWriter w = repo.writer(UUID.randomUUID())) {
            ChunkIndex ids = ChunkIndex.of(chunks.length);
            for (int c = 0; c < chunks.length; c++) {
                if (chunks[c]) {
                    disk.read((long) c * size, buf);
                    ids.set(c, w.store(buf, size).id());
                }
            }
            w.writeIndex("vda", ids); // its packs committed, as a backup's are
            return w.storedBytes();
        }
    }

    /** A disk of random 4 KiB blocks, each made from its number and how often it was written. */
    private static final class VirtualDisk {
        private final int[] versions = new int[(int) (DISK / BLOCK)];

        void write(long offset, int length) {
            for (long b = offset / BLOCK; b < (offset + length) / BLOCK; b++) {
                versions[(int) b]++;
            }
        }

        void read(long offset, byte[] into) {
            ByteBuffer out = ByteBuffer.wrap(into);
            for (long b = offset / BLOCK; out.hasRemaining(); b++) {
                SplittableRandom r = new SplittableRandom(b * 1_000_003L + versions[(int) b]);
                for (int i = 0; i < BLOCK / 8; i++) {
                    out.putLong(r.nextLong());
                }
            }
        }
    }
}
