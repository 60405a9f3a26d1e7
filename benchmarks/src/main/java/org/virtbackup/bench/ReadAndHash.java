package org.virtbackup.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.virtbackup.impl.nbd.Extent;
import org.virtbackup.impl.nbd.Libnbd;
import org.virtbackup.impl.nbd.NbdConnection;

import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * The floor under a repository backup: what it must do before it stores a byte. Reads a disk's
 * allocated chunks over NBD from a read-only {@code qemu-nbd} export of its image, with as many
 * connections as the service's streams, and hashes each with SHA-256 (the repository's naming),
 * storing nothing. Its time over {@code qemu-img convert}'s is the best ratio a repository
 * backup could reach on this host.
 */
final class ReadAndHash {

    private static final int CHUNK = 1 << 20;

    private ReadAndHash() {
    }

    /** Seconds to read and hash the allocated chunks of the qcow2 image, which a running guest may hold open. */
    static double seconds(BenchContext ctx, Path image, int streams) throws Exception {
        Path socket = ctx.workDir().resolve("floor.sock");
        Files.deleteIfExists(socket);
        Process nbd = new ProcessBuilder("qemu-nbd", "--read-only", "--persistent", "--shared=" + (streams + 1),
                "--socket=" + socket, "--image-opts",
                "driver=qcow2,file.driver=file,file.locking=off,file.filename=" + image)
                .redirectErrorStream(true).redirectOutput(ctx.workDir().resolve("floor-qemu-nbd.log").toFile()).start();
        try {
            for (int i = 0; i < 100 && !Files.exists(socket); i++) {
                Thread.sleep(50);
            }
            Libnbd lib = Native.load("nbd", Libnbd.class);
            long t0 = System.nanoTime();
            List<Extent> extents;
            long size;
            try (NbdConnection c = NbdConnection.open(lib, socket, "", List.of(Libnbd.ALLOCATION))) {
                size = c.size();
                extents = c.extents(Libnbd.ALLOCATION, 0, size);
            }
            List<Integer> chunks = new ArrayList<>();
            for (Extent e : extents) {
                if (!e.has(Libnbd.STATE_ZERO)) {
                    for (long k = e.offset() / CHUNK; k <= (e.end() - 1) / CHUNK; k++) {
                        if (chunks.isEmpty() || chunks.get(chunks.size() - 1) < k) {
                            chunks.add((int) k);
                        }
                    }
                }
            }
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(streams);
            List<CompletableFuture<Void>> workers = new ArrayList<>();
            for (int w = 0; w < streams; w++) {
                workers.add(CompletableFuture.runAsync(() -> {
                    try (NbdConnection c = NbdConnection.open(lib, socket, "", List.of())) {
                        Memory buffer = new Memory(CHUNK);
                        byte[] data = new byte[CHUNK];
                        MessageDigest sha = MessageDigest.getInstance("SHA-256");
                        for (int k = next.getAndIncrement(); k < chunks.size(); k = next.getAndIncrement()) {
                            long at = (long) chunks.get(k) * CHUNK;
                            int len = (int) Math.min(CHUNK, size - at);
                            c.read(buffer, len, at);
                            buffer.read(0, data, 0, len);
                            sha.update(data, 0, len);
                            sha.digest();
                        }
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            try {
                CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
            } finally {
                pool.shutdown();
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            nbd.destroy();
            nbd.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
