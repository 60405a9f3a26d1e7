package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class PrefixSetTest {

    /** Half a million adds over a range that includes 0 and negatives, as a HashSet does, through growth. */
    @Test
    void holdsWhatWasAddedAndNothingElse() {
        PrefixSet set = new PrefixSet();
        Set<Long> model = new HashSet<>();
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 500_000; i++) {
            long key = r.nextInt(400_000) - 200_000L;
            assertEquals(model.add(key), set.add(key), "add " + key);
        }
        for (long key = -200_000; key < 200_000; key++) {
            assertEquals(model.contains(key), set.contains(key), "contains " + key);
        }
        assertEquals(model.contains(Long.MIN_VALUE), set.contains(Long.MIN_VALUE));
    }
}
