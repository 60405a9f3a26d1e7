package org.virtbackup.repository;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * Which pack holds each chunk, in memory: every chunk as the first 16 bytes of its id and its
 * pack, offset and length, 28 bytes, in sorted segments (a set of objects took about 150 bytes).
 * Packs added one by one make small segments; past {@value #SEGMENTS} they are merged into one,
 * dropping the entries of removed packs. A chunk stored twice (two writers at once, a repair)
 * has a copy in each pack; {@link #find} gives the newest pack's first. Two ids alike in their
 * first 16 bytes (one chance in 2^64 among 2^32 chunks) would be taken for one: the chunk's
 * envelope, sealed or hashed under its whole name, then fails its check instead of being read.
 */
final class PackIndex {

    /** A copy of a chunk: the pack object holding it and where. */
    record Location(String pack, int offset, int length) {
    }

    /** A pack's table: when the pack was written (milliseconds since the epoch), and its entries. */
    record Table(long created, List<PackEntry> entries) {
    }

    private static final int SEGMENTS = 16;

    private final List<String> packs = new ArrayList<>(); // by number; null once removed
    private long[] created = new long[64]; // by number
    private final Map<String, Integer> numbers = new HashMap<>();
    private final List<Segment> segments = new ArrayList<>();
    /**
     * A backup's threads each look up every chunk they read: behind one monitor they queued on
     * each other whenever its holder lost its core (about 1.5 s of waits over a benchmark run).
     */
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    /** Adds packs with their tables. */
    void add(Map<String, Table> added) {
        lock.writeLock().lock();
        try {
            addLocked(added);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void addLocked(Map<String, Table> added) {
        List<Segment> fresh = new ArrayList<>();
        added.forEach((pack, table) -> {
            if (!numbers.containsKey(pack)) {
                int n = packs.size();
                numbers.put(pack, n);
                packs.add(pack);
                if (n == created.length) {
                    created = Arrays.copyOf(created, n * 2);
                }
                created[n] = table.created();
                fresh.add(Segment.of(n, table.entries()));
            }
        });
        if (!fresh.isEmpty()) {
            segments.add(merge(fresh)); // a refresh's packs as one segment
        }
        if (segments.size() > SEGMENTS) {
            Segment all = merge(segments);
            segments.clear();
            segments.add(all);
        }
    }

    /** Forgets a pack: its copies are no longer found. */
    void remove(String pack) {
        lock.writeLock().lock();
        try {
            Integer n = numbers.remove(pack);
            if (n != null) {
                packs.set(n, null);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    boolean contains(ChunkId id) {
        return !find(id).isEmpty();
    }

    /**
     * Every copy of the chunk, the newest pack's first (by the time its table records, so the
     * order is the same in every process and after a restart); empty if no pack holds it.
     */
    List<Location> find(ChunkId id) {
        return read(() -> findLocked(id));
    }

    private List<Location> findLocked(ChunkId id) {
        long hi = id.prefix();
        long lo = id.secondWord();
        List<int[]> found = new ArrayList<>(1);
        for (Segment s : segments) {
            for (int i = s.first(hi, lo); i < s.size && s.hi[i] == hi && s.lo[i] == lo; i++) {
                if (packs.get(s.pack[i]) != null) {
                    found.add(new int[] {s.pack[i], s.offset[i], s.length[i]});
                }
            }
        }
        found.sort(Comparator.comparingLong((int[] f) -> created[f[0]]).thenComparingInt(f -> f[0]).reversed());
        return found.stream().map(f -> new Location(packs.get(f[0]), f[1], f[2])).toList();
    }

    /** The packs held, by name. */
    Set<String> packs() {
        return read(() -> Set.copyOf(numbers.keySet()));
    }

    private <T> T read(Supplier<T> what) {
        lock.readLock().lock();
        try {
            return what.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private Segment merge(List<Segment> parts) {
        List<Segment> round = new ArrayList<>(parts);
        while (round.size() > 1) { // pairwise rounds: each entry copied log2(parts) times, no object per entry
            List<Segment> next = new ArrayList<>();
            for (int i = 0; i < round.size(); i += 2) {
                next.add(i + 1 < round.size() ? merge(round.get(i), round.get(i + 1)) : round.get(i));
            }
            round = next;
        }
        return round.get(0).without(packs);
    }

    private static Segment merge(Segment a, Segment b) {
        Segment m = new Segment(a.size + b.size);
        int i = 0;
        int j = 0;
        while (i < a.size || j < b.size) {
            boolean fromA = j == b.size || i < a.size && compare(a.hi[i], a.lo[i], b.hi[j], b.lo[j]) <= 0;
            if (fromA) {
                m.append(a, i++);
            } else {
                m.append(b, j++);
            }
        }
        return m;
    }

    private static int compare(long hi1, long lo1, long hi2, long lo2) {
        int c = Long.compare(hi1, hi2);
        return c != 0 ? c : Long.compare(lo1, lo2);
    }

    /** Entries sorted by id, in parallel arrays. */
    private static final class Segment {
        final long[] hi;
        final long[] lo;
        final int[] pack;
        final int[] offset;
        final int[] length;
        int size;

        Segment(int capacity) {
            hi = new long[capacity];
            lo = new long[capacity];
            pack = new int[capacity];
            offset = new int[capacity];
            length = new int[capacity];
        }

        static Segment of(int pack, List<PackEntry> entries) {
            PackEntry[] sorted = entries.toArray(PackEntry[]::new);
            Arrays.sort(sorted, (x, y) -> compare(x.id().prefix(), x.id().secondWord(), y.id().prefix(), y.id().secondWord()));
            Segment s = new Segment(sorted.length);
            for (PackEntry e : sorted) {
                s.hi[s.size] = e.id().prefix();
                s.lo[s.size] = e.id().secondWord();
                s.pack[s.size] = pack;
                s.offset[s.size] = e.offset();
                s.length[s.size++] = e.length();
            }
            return s;
        }

        void append(Segment from, int i) {
            hi[size] = from.hi[i];
            lo[size] = from.lo[i];
            pack[size] = from.pack[i];
            offset[size] = from.offset[i];
            length[size++] = from.length[i];
        }

        /** This segment without the entries of removed packs. */
        Segment without(List<String> packs) {
            int live = 0;
            for (int i = 0; i < size; i++) {
                live += packs.get(pack[i]) != null ? 1 : 0;
            }
            if (live == size && hi.length == size) {
                return this;
            }
            Segment s = new Segment(live);
            for (int i = 0; i < size; i++) {
                if (packs.get(pack[i]) != null) {
                    s.append(this, i);
                }
            }
            return s;
        }

        /** The first position whose id is not below (hi, lo). */
        int first(long h, long l) {
            int low = 0;
            int high = size;
            while (low < high) {
                int mid = (low + high) >>> 1;
                if (compare(hi[mid], lo[mid], h, l) < 0) {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            return low;
        }
    }
}
