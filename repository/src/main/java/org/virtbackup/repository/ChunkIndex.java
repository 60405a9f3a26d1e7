package org.virtbackup.repository;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A disk's chunk ids in order, held as the index object stores them: 32 bytes each in one array.
 * A 1 TiB disk at 1 MiB chunks takes 32 MiB of heap, where an array of {@link ChunkId} objects
 * took about 76 MiB (an object, its array, the reference); an incremental holds two. Writers may set different positions from
 * different threads; the array is read once they are joined.
 */
public final class ChunkIndex implements Iterable<ChunkId> {

    private final byte[] ids;
    private final int count;

    private ChunkIndex(byte[] ids, int count) {
        this.ids = ids;
        this.count = count;
    }

    /** Builds an index of ids added one by one, in an array that grows by half: no copy at the end. */
    static final class Builder {
        private byte[] ids = new byte[1024 * ChunkId.LENGTH];
        private int count;

        void add(ChunkId id) {
            if ((count + 1) * ChunkId.LENGTH > ids.length) {
                long grown = Math.min((long) ids.length * 3 / 2, (long) Integer.MAX_VALUE / ChunkId.LENGTH * ChunkId.LENGTH);
                if (grown <= ids.length) {
                    throw new RepositoryException(RepositoryException.Problem.IO, "more than " + count
                            + " chunks to list: more than one array holds");
                }
                ids = Arrays.copyOf(ids, (int) grown);
            }
            id.copyTo(ids, count * ChunkId.LENGTH);
            count++;
        }

        ChunkIndex build() {
            return new ChunkIndex(ids, count);
        }
    }

    /** An index of {@code count} chunks, all {@link ChunkId#ZERO} until set. */
    public static ChunkIndex of(int count) {
        if (count < 0 || count > Integer.MAX_VALUE / ChunkId.LENGTH) {
            throw new IllegalArgumentException("an index holds 0 to " + Integer.MAX_VALUE / ChunkId.LENGTH
                    + " chunks, not " + count + ": use larger chunks for a disk this size");
        }
        return new ChunkIndex(new byte[count * ChunkId.LENGTH], count);
    }

    /** The index an index object holds (its plain bytes, taken as they are). */
    static ChunkIndex wrap(byte[] plain) {
        if (plain.length % ChunkId.LENGTH != 0) {
            throw new IllegalArgumentException("an index is a multiple of " + ChunkId.LENGTH + " bytes, not " + plain.length);
        }
        return new ChunkIndex(plain, plain.length / ChunkId.LENGTH);
    }

    public int size() {
        return count;
    }

    public ChunkId get(int i) {
        return isZero(i) ? ChunkId.ZERO : ChunkId.of(ids, offset(i));
    }

    public void set(int i, ChunkId id) {
        id.copyTo(ids, offset(i));
    }

    /** Whether chunk {@code i} reads as zeros (and is stored nowhere). */
    public boolean isZero(int i) {
        int at = offset(i);
        for (int k = at; k < at + ChunkId.LENGTH; k++) {
            if (ids[k] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The first 8 bytes of chunk {@code i}'s id ({@link ChunkId#prefix}), without making the id. */
    long prefix(int i) {
        return ChunkId.prefix(ids, offset(i));
    }

    /** The bytes an index object stores. */
    byte[] bytes() {
        return ids.length == count * ChunkId.LENGTH ? ids : Arrays.copyOf(ids, count * ChunkId.LENGTH);
    }

    @Override
    public Iterator<ChunkId> iterator() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < size();
            }

            @Override
            public ChunkId next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return get(next++);
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkIndex c && Arrays.equals(ids, 0, count * ChunkId.LENGTH, c.ids, 0, c.count * ChunkId.LENGTH);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes());
    }

    private int offset(int i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("chunk " + i + " of an index of " + size());
        }
        return i * ChunkId.LENGTH;
    }
}
