package org.virtbackup.repository;

import java.util.Arrays;

/**
 * The chunks a collection found named, each as the first 8 bytes of its id, in one sorted array:
 * 8 bytes per distinct chunk where a set of ids took about 120 (10 TiB of distinct 1 MiB chunks:
 * 80 MiB, not 1.2 GB). Marks are appended and, whenever the array fills, sorted and made
 * distinct: a collection reads every backup's index, mostly the same chunks again, and the
 * array stays within twice the distinct marks. Two ids with the same first 8 bytes (one chance
 * in 2^64 for a pair) keep an unnamed chunk: a collection errs only towards keeping.
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
        if (!compact) {
            compact();
        }
        return Arrays.binarySearch(marks, 0, size, id.prefix()) >= 0;
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
            if (size > marks.length / 2) {
                marks = Arrays.copyOf(marks, marks.length * 2);
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
