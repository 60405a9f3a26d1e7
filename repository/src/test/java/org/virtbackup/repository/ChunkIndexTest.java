package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ChunkIndexTest {

    @Test
    void holdsIdsInPlaceAsTheIndexObjectStoresThem() {
        ChunkId a = ChunkId.ofHex("11".repeat(32));
        ChunkId b = ChunkId.ofHex("ab".repeat(31) + "00");
        ChunkIndex index = ChunkIndex.of(3);
        index.set(0, a);
        index.set(2, b);
        assertEquals(a, index.get(0));
        assertTrue(index.isZero(1));
        assertEquals(ChunkId.ZERO, index.get(1));
        assertFalse(index.isZero(2));
        List<ChunkId> all = new ArrayList<>();
        index.forEach(all::add);
        assertEquals(List.of(a, ChunkId.ZERO, b), all);
        byte[] stored = index.bytes();
        assertEquals(3 * ChunkId.LENGTH, stored.length);
        assertEquals(index, ChunkIndex.wrap(stored.clone()));
        byte[] first = new byte[ChunkId.LENGTH];
        a.copyTo(first, 0);
        assertArrayEquals(first, Arrays.copyOf(stored, ChunkId.LENGTH));
    }

    /** Past its first array (1024 ids): what a collection lists, in order, with no copy at the end. */
    @Test
    void aBuilderGrowsAndKeepsTheOrder() {
        ChunkIndex.Builder builder = new ChunkIndex.Builder();
        Random random = new Random(3);
        ChunkIndex expected = ChunkIndex.of(5000);
        byte[] id = new byte[ChunkId.LENGTH];
        for (int i = 0; i < 5000; i++) {
            random.nextBytes(id);
            expected.set(i, ChunkId.of(id, 0));
            builder.add(ChunkId.of(id, 0));
        }
        ChunkIndex built = builder.build();
        assertEquals(5000, built.size());
        assertEquals(expected, built);
        assertArrayEquals(expected.bytes(), built.bytes());
        assertEquals(expected.get(4999), built.get(4999));
        assertThrows(IndexOutOfBoundsException.class, () -> built.get(5000));
    }

    @Test
    void refusesWhatItCannotHold() {
        assertThrows(IndexOutOfBoundsException.class, () -> ChunkIndex.of(2).get(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChunkIndex.of(Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("larger chunks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ChunkIndex.wrap(new byte[33]));
    }
}
