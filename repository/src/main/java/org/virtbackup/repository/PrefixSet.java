package org.virtbackup.repository;

/**
 * A set of chunks by the first 8 bytes of their ids: a writer's pins. In primitive arrays (open
 * addressing, linear probing, at most half full): 16 to 32 bytes per chunk, where a concurrent
 * set of ids, and a map counting them, took about 150 together. Split in {@value #STRIPES}
 * stripes, each locked on its own, so the threads of a backup add at once. Two ids alike in their
 * first 8 bytes (one chance in 2^64 per pair) are one member: a collection then keeps a chunk it
 * could remove, never the other way.
 */
final class PrefixSet {

    private static final int STRIPES = 64;

    private final Stripe[] stripes = new Stripe[STRIPES];

    PrefixSet() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** Adds the key; false if it was there. */
    boolean add(long key) {
        return stripe(key).add(key);
    }

    boolean contains(long key) {
        return stripe(key).contains(key);
    }

    private Stripe stripe(long key) {
        return stripes[(int) (mix(key) >>> 58)]; // the top 6 bits: 64 stripes
    }

    /** Ids are digests, uniform already; mixing keeps other keys (tests) spread too. */
    private static long mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    private static final class Stripe {
        private long[] keys = new long[16];
        private int size;
        private boolean hasZero; // key 0 marks an empty slot, so it is kept apart

        synchronized boolean add(long key) {
            if (key == 0) {
                boolean added = !hasZero;
                hasZero = true;
                return added;
            }
            int i = slot(keys, key);
            if (keys[i] == key) {
                return false;
            }
            keys[i] = key;
            if (++size * 2 > keys.length) {
                long[] old = keys;
                keys = new long[old.length * 2];
                for (long k : old) {
                    if (k != 0) {
                        keys[slot(keys, k)] = k;
                    }
                }
            }
            return true;
        }

        synchronized boolean contains(long key) {
            return key == 0 ? hasZero : keys[slot(keys, key)] == key;
        }

        /** The key's slot, or the empty slot where it would go. */
        private static int slot(long[] keys, long key) {
            int mask = keys.length - 1;
            int i = (int) mix(key) & mask;
            while (keys[i] != 0 && keys[i] != key) {
                i = (i + 1) & mask;
            }
            return i;
        }
    }
}
