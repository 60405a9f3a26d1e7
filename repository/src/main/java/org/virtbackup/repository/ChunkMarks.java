package org.virtbackup.repository;

import java.util.Arrays;

/**
 * The chunks a collection found named (or a verification must read), each as the first 8 bytes
 * of its id, in one sorted array: 11 to 16 bytes per distinct chunk, where a set of ids took
 * about 120. Marks are appended and, whenever the array fills, sorted and made distinct (a
 * collection reads every backup's index, mostly the same chunks again); the array grows to
 * twice the distinct marks when they fill three quarters of it. Two ids with the same first 8
 * bytes (one chance in 2^64 for a pair) keep an unnamed chunk: a collection errs only towards
 * keeping.
 */
final class ChunkMarks {

    private long[] marks = new long[1 << 16];
    private int size;
    private boolean compact = true;

    void mark(ChunkIndex index) {
        for (int i = 0; i < index.size(); i++) {
            if (!index.isZero(i)) {
                add(index.prefix(i));
            }
        }
    }

    void mark(ChunkId id) {
        if (!id.isZero()) {
            add(id.prefix());
        }
    }

    boolean isMarked(ChunkId id) {
        return isMarked(id.prefix());
    }

    boolean isMarked(long prefix) {
        return indexOf(prefix) >= 0;
    }

    /** Where the mark is among the distinct marks (0 to {@link #size()} - 1), negative if it is not marked. */
    int indexOf(long prefix) {
        if (!compact) {
            compact();
        }
        return Arrays.binarySearch(marks, 0, size, prefix);
    }

    /** Distinct marks. */
    int size() {
        if (!compact) {
            compact();
        }
        return size;
    }

    private void add(long prefix) {
        if (size == marks.length) {
            compact();
            if (size > marks.length / 4 * 3) {
                marks = Arrays.copyOf(marks, Math.max(marks.length, size * 2));
            }
        }
        marks[size++] = prefix;
        compact = false;
    }

    private void compact() {
        Arrays.sort(marks, 0, size);
        int distinct = 0;
        for (int i = 0; i < size; i++) {
            if (distinct == 0 || marks[i] != marks[distinct - 1]) {
                marks[distinct++] = marks[i];
            }
        }
        size = distinct;
        compact = true;
    }
}
