package org.virtbackup.impl.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.nbd.Libnbd;
import org.virtbackup.impl.nbd.NbdConnection;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.qemu.QemuNbd;
import org.virtbackup.impl.restore.RestoreSource;
import org.virtbackup.repository.ChunkBuffer;
import org.virtbackup.repository.ChunkId;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.Repository;

import com.sun.jna.Memory;

/**
 * Restores a repository backup's disk from its chunks, several at once: into a raw image by
 * positioned writes (zero chunks left as holes: the image is sparse), into a qcow2 image through
 * a writable qemu-nbd export of it (zero chunks never written: unallocated). Every chunk is
 * checked as it is read ({@link Repository#readChunk}: its tag when encrypted, else its name),
 * so a damaged one fails the restore, which then leaves nothing.
 */
public final class ChunkSource implements RestoreSource {

    private final Repositories repositories;
    private final QemuImg qemuImg;
    private final QemuNbd qemuNbd;
    private final Path runtimeDirectory;
    private final Executor executor;
    private volatile Libnbd nbd;

    public ChunkSource(Repositories repositories, QemuImg qemuImg, QemuNbd qemuNbd, Path runtimeDirectory, Executor executor) {
        this.repositories = repositories;
        this.qemuImg = qemuImg;
        this.qemuNbd = qemuNbd;
        this.runtimeDirectory = runtimeDirectory;
        this.executor = executor;
    }

    @Override
    public long required(Backup backup, BackupDisk disk, String format) {
        Index index = index(backup, disk);
        long stored = IntStream.range(0, index.ids().size()).filter(i -> !index.ids().isZero(i)).count() * index.chunkSize();
        return Math.min(disk.capacity(), stored) // qcow2: L2 tables, and header, refcounts and L1 of a cluster each
                + (format.equals("qcow2") ? disk.capacity() / 8192 + 8L * clusterSize(index.chunkSize()) : 0);
    }

    @Override
    public void copy(Backup backup, BackupDisk disk, Path image, String format, CopyProgress progress, Path log)
            throws IOException, InterruptedException {
        progress.current(0, null);
        Index index = index(backup, disk);
        if (format.equals("raw")) {
            try (FileChannel out = FileChannel.open(image, StandardOpenOption.WRITE)) {
                out.truncate(0);
                eachChunk(index, disk, progress, () -> null, (i, data, len, unused) -> {
                    ByteBuffer b = ByteBuffer.wrap(data, 0, len);
                    long at = (long) i * index.chunkSize();
                    while (b.hasRemaining()) {
                        at += out.write(b, at);
                    }
                });
                if (out.size() < disk.capacity()) {
                    out.write(ByteBuffer.wrap(new byte[1]), disk.capacity() - 1); // the size, the tail a hole
                }
                out.force(true);
            }
            return;
        }
        qemuImg.create(image, format, disk.capacity(), clusterSize(index.chunkSize()));
        Path socket = Paths.privateDirectory(runtimeDirectory).resolve(backup.uuid() + "-" + disk.name() + "-restore.sock");
        try (QemuNbd.Server server = qemuNbd.serve(image, format, socket, true, null, repositories.streams() + 1)) {
            List<Stream> open = Collections.synchronizedList(new ArrayList<>());
            try {
                eachChunk(index, disk, progress, () -> stream(server, index, open), (i, data, len, s) -> {
                    s.buffer().write(0, data, 0, len);
                    s.connection().write(s.buffer(), len, (long) i * index.chunkSize());
                });
                open.forEach(s -> s.connection().flush());
            } finally {
                open.forEach(s -> s.connection().close());
            }
        }
    }

    /**
     * A restored qcow2 image's clusters are the repository's chunks (qcow2 allows 2 MiB at most):
     * each chunk written is one cluster allocated, where with 64 KiB clusters every 1 MiB write
     * allocated sixteen and writing 2 GiB through qemu-nbd took 2.3 times as long (a probe,
     * README, Performance). The price is a coarser allocation for what the guest writes later
     * into regions that were never written.
     */
    static int clusterSize(int chunkSize) {
        return Math.max(64 * 1024, Math.min(chunkSize, 2 * 1024 * 1024));
    }

    @Override
    public boolean identical(Backup backup, BackupDisk disk, Path image, String format) throws IOException {
        Index index = index(backup, disk);
        Path socket = Paths.privateDirectory(runtimeDirectory).resolve(backup.uuid() + "-" + disk.name() + "-verify.sock");
        AtomicBoolean same = new AtomicBoolean(true);
        try (QemuNbd.Server server = qemuNbd.serve(image, format, socket, false, null, repositories.streams() + 1)) {
            List<Stream> open = Collections.synchronizedList(new ArrayList<>());
            try (NbdConnection probe = NbdConnection.open(libnbd(), server.socket(), QemuNbd.EXPORT, List.of())) {
                if (probe.size() != disk.capacity()) {
                    return false;
                }
            }
            try {
                eachChunk(index, disk, new CopyProgress(0), () -> stream(server, index, open), true, (i, data, len, s) -> {
                    s.connection().read(s.buffer(), len, (long) i * index.chunkSize());
                    if (!Arrays.equals(s.buffer().getByteArray(0, len), 0, len, data, 0, len)) {
                        same.set(false);
                    }
                });
            } finally {
                open.forEach(s -> s.connection().close());
            }
        }
        return same.get();
    }

    /** One worker's connection to the image's export, and its buffer of one chunk (native memory). */
    private record Stream(NbdConnection connection, Memory buffer) {
    }

    private Stream stream(QemuNbd.Server server, Index index, List<Stream> open) {
        Stream s = new Stream(NbdConnection.open(libnbd(), server.socket(), QemuNbd.EXPORT, List.of()),
                new Memory(index.chunkSize()));
        open.add(s);
        return s;
    }

    /** What one worker does with one chunk's data. */
    private interface ChunkWrite<C> {
        void accept(int chunk, byte[] data, int length, C connection) throws IOException;
    }

    private interface Opener<C> {
        C open() throws IOException;
    }

    private <C> void eachChunk(Index index, BackupDisk disk, CopyProgress progress, Opener<C> opener, ChunkWrite<C> write) {
        eachChunk(index, disk, progress, opener, false, write);
    }

    /** Runs the write for every chunk (zero chunks only when {@code zeros}), several workers at once. */
    private <C> void eachChunk(Index index, BackupDisk disk, CopyProgress progress, Opener<C> opener, boolean zeros,
            ChunkWrite<C> write) {
        String url = disk.target();
        ChunkIndex ids = index.ids();
        AtomicInteger next = new AtomicInteger();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int w = 0; w < repositories.streams(); w++) {
            workers.add(CompletableFuture.runAsync(() -> {
                try {
                    C connection = opener.open();
                    ChunkBuffer buffer = index.repository().chunkBuffer(); // reused: no array per chunk
                    for (int i = next.getAndIncrement(); i < ids.size(); i = next.getAndIncrement()) {
                        int len = (int) Math.min(index.chunkSize(), disk.capacity() - (long) i * index.chunkSize());
                        if (!ids.isZero(i) || zeros) {
                            ChunkId id = ids.get(i);
                            Repositories.call(url, () -> index.repository().readChunk(id, buffer));
                            write.accept(i, buffer.data(), len, connection);
                        }
                        progress.advance(len);
                    }
                } catch (IOException e) {
                    next.set(ids.size());
                    throw new BackupException(ErrorCode.IO_ERROR, "restoring disk " + disk.name() + ": " + e.getMessage(), e);
                } catch (RuntimeException e) {
                    next.set(ids.size());
                    throw e;
                }
            }, executor));
        }
        try {
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Override
    public byte[] firmware(Backup backup, Path directory, FirmwareFile file) {
        return FirmwareChunks.read(repositories, backup.disks().get(0).target(), backup.uuid(), file);
    }

    private record Index(Repository repository, ChunkIndex ids, int chunkSize) {
    }

    private Index index(Backup backup, BackupDisk disk) {
        String url = disk.target();
        Repository repo = repositories.open(url);
        Manifest m = Repositories.call(url, () -> repo.manifest(backup.uuid())).orElseThrow(() -> new BackupException(
                ErrorCode.NO_BACKUP, "backup " + backup.uuid() + " is no longer in repository " + url));
        Manifest.Disk d = Repositories.call(url, () -> m.disk(disk.name()));
        return new Index(repo, Repositories.call(url, () -> repo.index(m, d)), d.chunkSize());
    }

    private Libnbd libnbd() {
        Libnbd n = nbd;
        if (n == null) {
            n = com.sun.jna.Native.load("nbd", Libnbd.class);
            nbd = n;
        }
        return n;
    }
}
