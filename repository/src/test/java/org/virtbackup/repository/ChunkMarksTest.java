package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

class ChunkMarksTest {

    /** More marks than the first array holds, each marked three times (as backups name the same chunks): all found, none invented. */
    @Test
    void marksSurviveCompactionAndGrowthAndOthersStayUnmarked() {
        int distinct = 150_000;
        ChunkIndex named = ChunkIndex.of(distinct);
        ChunkIndex other = ChunkIndex.of(distinct);
        Random random = new Random(5);
        byte[] id = new byte[ChunkId.LENGTH];
        for (int i = 0; i < distinct; i++) {
            random.nextBytes(id);
            named.set(i, ChunkId.of(id, 0));
            random.nextBytes(id);
            other.set(i, ChunkId.of(id, 0));
        }
        ChunkMarks marks = new ChunkMarks();
        for (int round = 0; round < 3; round++) {
            marks.mark(named);
        }
        marks.mark(ChunkId.ZERO);
        assertEquals(distinct, marks.size());
        for (int i = 0; i < distinct; i++) {
            assertTrue(marks.isMarked(named.get(i)), "chunk " + i);
            assertFalse(marks.isMarked(other.get(i)), "unnamed chunk " + i);
        }
        assertFalse(marks.isMarked(ChunkId.ZERO), "zeros are never stored, never marked");
    }
}
