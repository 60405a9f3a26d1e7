package org.virtbackup.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A new file written in pieces (a pack): the caller's bytes are copied into a staging buffer of
 * {@value #STAGING} bytes, each full one written at its place with O_DIRECT by another thread
 * while the caller goes on (at most {@value #IN_FLIGHT} at once), and the last partial block
 * through the page cache when the file is synced. Writing inside the caller made a backup's
 * threads wait for each other's disk writes: the full backup took as long as with a file per
 * chunk (2.16 times the copy).
 */
final class DirectAppender implements AutoCloseable {

    private static final int STAGING = 1 << 20;
    private static final int IN_FLIGHT = 4;

    private final DirectWrites writes;
    private final Path file;
    private final Deque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    private ByteBuffer staging;
    private FileChannel channel;
    private boolean direct;
    private long written;
    private boolean closed;

    DirectAppender(DirectWrites writes, Path file, FileAttribute<?> mode) throws IOException {
        this.writes = writes;
        this.file = file;
        this.channel = writes.openDirect(file, mode);
        this.direct = channel != null;
        if (channel == null) {
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), mode);
        }
        this.staging = writes.buffer(STAGING).clear();
    }

    void write(byte[] data, int offset, int length) throws IOException {
        while (length > 0) {
            int n = Math.min(length, staging.remaining());
            staging.put(data, offset, n);
            offset += n;
            length -= n;
            if (!staging.hasRemaining()) {
                drain();
            }
        }
    }

    long size() {
        return written + staging.position();
    }

    /** Writes what is staged, waits for every write, and syncs the file. */
    void sync() throws IOException {
        finish();
        force();
    }

    /** Makes what {@link #finish} wrote durable. */
    void force() throws IOException {
        channel.force(true);
    }

    /** Writes what is staged and waits for every write: the file is whole, not yet durable. */
    void finish() throws IOException {
        awaitAll();
        if (direct && staging.position() > 0) {
            channel.close(); // the last partial block cannot go with O_DIRECT
            channel = FileChannel.open(file, StandardOpenOption.WRITE);
            direct = false;
        }
        staging.flip();
        while (staging.hasRemaining()) {
            written += channel.write(staging, written);
        }
        staging.clear();
    }

    /** Hands the full staging buffer to a writer thread and takes a fresh one. */
    private void drain() throws IOException {
        while (inFlight.size() >= IN_FLIGHT) {
            await(inFlight.removeFirst());
        }
        ByteBuffer full = staging.flip();
        long at = written;
        written += full.remaining();
        staging = writes.buffer(STAGING).clear();
        FileChannel ch = channel;
        inFlight.addLast(CompletableFuture.runAsync(() -> {
            try {
                while (full.hasRemaining()) {
                    ch.write(full, at + full.position());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                writes.release(full);
            }
        }, writes.io()));
    }

    private void awaitAll() throws IOException {
        while (!inFlight.isEmpty()) {
            await(inFlight.removeFirst());
        }
    }

    private static void await(CompletableFuture<Void> write) throws IOException {
        try {
            write.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (CompletableFuture<Void> w : inFlight) {
                w.exceptionally(t -> null).join(); // its buffer back in the pool before the channel goes
            }
            channel.close();
        } finally {
            writes.release(staging);
        }
    }
}
