package org.virtbackup.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.virtbackup.repository.FileObjectStore;

/**
 * What one object per chunk costs the store: 2 GiB written through {@link FileObjectStore} (the
 * repository's own path: O_DIRECT bulk, synced, renamed, directories synced) as 2048 objects of
 * a sealed 1 MiB chunk's size, against the same bytes as 128 objects of 16 MiB (the size of a
 * pack of chunks), 8 threads each, in the same rounds. Wall time and the process's CPU (user and
 * kernel) are both compared: a backup shares the host's cores with QEMU, so the store's CPU is
 * taken from the reading and hashing. A third series is the repository benchmark's baseline on an
 * image like its guest's disk (4 GiB qcow2, 2 GiB of random data, in the page cache):
 * {@code qemu-img convert -U -t none -O qcow2}. The packs' write over it tells how much of that
 * baseline writing alone takes on this host (RESULT repository-objects-copy). Needs no guest.
 */
final class ObjectCostBenchmark implements Benchmark {

    private static final int THREADS = 8;
    private static final int CHUNK = (1 << 20) + 34; // a sealed 1 MiB chunk: header, nonce, tag
    private static final int CHUNKS = 2048;
    private static final int PER_PACK = 16;

    @Override
    public String name() {
        return "repository-objects";
    }

    @Override
    public String description() {
        return "2 GiB as 2048 objects of 1 MiB vs. 128 objects of 16 MiB through the repository's file store,"
                + " and the 128 vs. the repository benchmark's qemu-img convert of a like image";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        byte[] chunk = new byte[CHUNK];
        new Random(1).nextBytes(chunk);
        byte[] pack = new byte[CHUNK * PER_PACK];
        new Random(2).nextBytes(pack);
        List<Double> smallCpu = new ArrayList<>();
        List<Double> largeCpu = new ArrayList<>();
        int[] round = {0};
        Path source = ctx.workDir().resolve("source.qcow2");
        Host.randomImage(ctx.qemuImg(), source, (long) CHUNKS << 20, 2L * CHUNKS << 20);
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("2048 objects of 1 MiB", () -> write(ctx, "small-" + round[0]++, chunk, CHUNKS, smallCpu)),
                new Interleaved.Series("128 objects of 16 MiB", () -> write(ctx, "large-" + round[0]++, pack,
                        CHUNKS / PER_PACK, largeCpu)),
                new Interleaved.Series("qemu-img convert", () -> convert(ctx, source, ctx.workDir().resolve("copy.qcow2")))));
        return List.of(
                Result.of(name(), "ratio", Stats.median(times.get("2048 objects of 1 MiB"))
                        / Stats.median(times.get("128 objects of 16 MiB"))),
                Result.of(name() + "-cpu", "ratio", Stats.median(smallCpu) / Stats.median(largeCpu)),
                Result.of(name() + "-copy", "ratio", Stats.median(times.get("128 objects of 16 MiB"))
                        / Stats.median(times.get("qemu-img convert"))));
    }

    /** The full backup's baseline on the same bytes: a durable copy into a new qcow2; seconds. */
    private static Interleaved.Sample convert(BenchContext ctx, Path source, Path copy) throws Exception {
        Files.deleteIfExists(copy);
        Cmd.run("sync"); // as before the store's series
        long t0 = System.nanoTime();
        Cmd.run(ctx.qemuImg(), "convert", "-U", "-t", "none", "-O", "qcow2", source.toString(), copy.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        Files.delete(copy);
        return new Interleaved.Sample(seconds, "");
    }

    /** Writes {@code count} objects of {@code data} into a new store, syncs their names, removes the store; seconds. */
    private static Interleaved.Sample write(BenchContext ctx, String label, byte[] data, int count, List<Double> cpu)
            throws Exception {
        Path dir = Files.createDirectories(ctx.workDir().resolve(label));
        FileObjectStore store = new FileObjectStore(dir);
        List<String> names = new ArrayList<>();
        Random random = new Random(label.hashCode());
        byte[] id = new byte[32];
        for (int i = 0; i < count; i++) {
            random.nextBytes(id);
            String hex = HexFormat.of().formatHex(id);
            names.add("chunks/" + hex.substring(0, 2) + "/" + hex);
        }
        Cmd.run("sync");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < THREADS; w++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        store.putUnsynced(names.get(i), data);
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
            store.sync(names);
        } finally {
            pool.shutdown();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (os.getProcessCpuTime() - cpu0) / 1e9;
        cpu.add(cpuSeconds);
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        return new Interleaved.Sample(seconds, String.format("cpu %.2f s", cpuSeconds));
    }
}
