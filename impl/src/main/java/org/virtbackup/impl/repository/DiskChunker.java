package org.virtbackup.impl.repository;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.nbd.Extent;
import org.virtbackup.impl.nbd.Libnbd;
import org.virtbackup.impl.nbd.NbdConnection;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkIndex;

import com.sun.jna.Memory;

/**
 * Reads one disk from an NBD export into a repository: the chunks that hold data (a full
 * backup: {@code base:allocation}) or that changed (an incremental: the export's dirty bitmap);
 * an incremental names its parent's chunks for the rest, and reads those too when the repository
 * no longer holds them whole. Several connections read at once, each with one chunk in flight:
 * the heap holds a few chunks, never the disk.
 */
public final class DiskChunker {

    /** What a disk's copy made: its index, and the bytes it stored and found stored already. */
    public record Result(ChunkIndex ids, long stored, long deduplicated) {
    }

    private final Libnbd nbd;
    private final int streams;
    private final Executor executor;

    public DiskChunker(Libnbd nbd, int streams, Executor executor) {
        this.nbd = nbd;
        this.streams = Math.max(1, streams);
        this.executor = executor;
    }

    /**
     * Copies a disk.
     *
     * @param context {@link Libnbd#ALLOCATION} for a full copy, else the dirty-bitmap context
     * @param parent the parent backup's index of this disk, {@code null} for a full copy
     * @param progress receives the disk bytes covered as they are
     */
    public Result copy(Path socket, String export, String context, ChunkIndex parent, int chunkSize, BackupWriter writer,
            LongConsumer progress, BooleanSupplier cancelled) {
        boolean full = parent == null;
        long size;
        List<Extent> extents;
        try (NbdConnection control = NbdConnection.open(nbd, socket, export, List.of(context))) {
            if (!control.has(context)) {
                throw new BackupException(ErrorCode.IO_ERROR, "the export of " + export + " at " + socket + " has no "
                        + context + " to tell which regions to read");
            }
            size = control.size();
            extents = control.extents(context, 0, size);
        }
        int n = Math.toIntExact((size + chunkSize - 1) / chunkSize);
        if (!full && parent.size() != n) {
            throw new BackupException(ErrorCode.CHAIN_BROKEN, "disk " + export + " has " + n + " chunks now and "
                    + parent.size() + " in the parent backup: its size changed; make a full backup (FORCE_FULL)");
        }
        boolean[] read = new boolean[n];
        for (Extent e : extents) {
            if (full ? !e.has(Libnbd.STATE_ZERO) : e.has(Libnbd.STATE_DIRTY)) {
                for (long c = e.offset() / chunkSize; c <= (e.end() - 1) / chunkSize && c < n; c++) {
                    read[(int) c] = true;
                }
            }
        }
        ChunkIndex ids = ChunkIndex.of(n);
        int[] todo = new int[n]; // the chunks to read, in order: 4 bytes each
        int reads = 0;
        long skipped = 0;
        for (int i = 0; i < n; i++) {
            if (!read[i] && (full || writer.reuse(parent.get(i)))) {
                if (!full) {
                    ids.set(i, parent.get(i));
                }
                skipped += length(i, size, chunkSize);
            } else {
                todo[reads++] = i;
            }
        }
        progress.accept(skipped);
        AtomicLong stored = new AtomicLong();
        AtomicLong deduplicated = new AtomicLong();
        AtomicInteger next = new AtomicInteger();
        int toRead = reads;
        int workers = Math.min(streams, toRead);
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            running.add(CompletableFuture.runAsync(() -> {
                try (NbdConnection c = NbdConnection.open(nbd, socket, export, List.of())) {
                    Memory buffer = new Memory(chunkSize);
                    byte[] data = new byte[chunkSize];
                    for (int k = next.getAndIncrement(); k < toRead; k = next.getAndIncrement()) {
                        if (cancelled.getAsBoolean()) {
                            throw new CancellationException();
                        }
                        int i = todo[k];
                        int len = length(i, size, chunkSize);
                        c.read(buffer, len, (long) i * chunkSize);
                        buffer.read(0, data, 0, len);
                        BackupWriter.Stored s = writer.store(data, len);
                        ids.set(i, s.id());
                        stored.addAndGet(s.newBytes());
                        if (s.newBytes() == 0 && !s.id().isZero()) {
                            deduplicated.addAndGet(len);
                        }
                        progress.accept(len);
                    }
                } catch (RuntimeException e) {
                    next.set(toRead); // the others stop at their next chunk
                    throw e;
                }
            }, executor));
        }
        try {
            CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        if (cancelled.getAsBoolean()) {
            throw new CancellationException();
        }
        return new Result(ids, stored.get(), deduplicated.get());
    }

    private static int length(int chunk, long size, int chunkSize) {
        return (int) Math.min(chunkSize, size - (long) chunk * chunkSize);
    }

    /** The job was cancelled while a disk was read. */
    public static final class CancellationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CancellationException() {
            super("cancelled", null, false, false);
        }
    }
}
