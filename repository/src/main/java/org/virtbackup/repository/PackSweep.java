package org.virtbackup.repository;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The packs' part of a collection. A chunk in a pack lives when a manifest names it (and this is
 * its newest copy, or it is recorded damaged) or a writer of this process holds it. A pack with no living chunk is removed;
 * a pack whose dead chunks make {@value #REWRITE_PERCENT} % or more of its bytes is rewritten:
 * its living chunks are copied as stored (sealed, compressed: nothing is opened) into new packs,
 * which are committed before the old pack goes. Below that share the dead bytes stay, since
 * rewriting 16 MiB to free a few would cost more than the space: the next collections take the
 * pack once enough of it has died.
 */
final class PackSweep {

    static final int REWRITE_PERCENT = 25;

    /** Chunk copies the packs held, and how many of them went. */
    record Result(int entries, int removed) {
    }

    private record Rewrite(String pack, List<PackEntry> table, Set<ChunkId> copied) {
    }

    private final Packs packs;
    private final ChunkMarks marked;
    private final Pins pins;
    private final Predicate<ChunkId> damaged;
    private final Predicate<ChunkId> damagedNow;
    private final Runnable stillHeld;

    /**
     * @param damaged whether a verification recorded the chunk damaged: then every copy of it is kept
     * @param damagedNow the same, asked of the store at the last moment, for the older copies a
     *        pack about to go holds (a verification elsewhere may have recorded one since)
     * @param stillHeld throws when the collection's lease lapsed: then nothing more is removed
     */
    PackSweep(Packs packs, ChunkMarks marked, Pins pins, Predicate<ChunkId> damaged, Predicate<ChunkId> damagedNow,
            Runnable stillHeld) {
        this.packs = packs;
        this.marked = marked;
        this.pins = pins;
        this.damaged = damaged;
        this.damagedNow = damagedNow;
        this.stillHeld = stillHeld;
    }

    /** Sweeps these packs (the ones listed before the manifests were read). */
    Result sweep(Collection<String> candidates) {
        int entries = 0;
        int removed = 0;
        List<Rewrite> rewrites = new ArrayList<>();
        try (PackWriter copies = packs.writer()) {
            for (String pack : candidates) {
                List<PackEntry> table;
                try {
                    table = packs.table(pack);
                } catch (RepositoryException e) {
                    if (e.problem() == RepositoryException.Problem.DAMAGED) {
                        continue; // what it holds is unknown: kept
                    }
                    throw e;
                }
                entries += table.size();
                List<PackEntry> living = new ArrayList<>();
                long total = 0;
                long dead = 0;
                for (PackEntry e : table) {
                    total += e.length();
                    if (lives(pack, e)) {
                        living.add(e);
                    } else {
                        dead += e.length();
                    }
                }
                if (living.isEmpty()) {
                    removed += remove(pack, table, Set.of()) ? table.size() : 0;
                } else if (dead * 100 >= total * REWRITE_PERCENT && copy(pack, living, copies)) {
                    rewrites.add(new Rewrite(pack, table, living.stream().map(PackEntry::id).collect(Collectors.toSet())));
                }
            }
            copies.flush(); // the copies durable and found before their old packs go
        }
        for (Rewrite r : rewrites) {
            removed += remove(r.pack(), r.table(), r.copied()) ? r.table().size() - r.copied().size() : 0;
        }
        return new Result(entries, removed);
    }

    private boolean lives(String pack, PackEntry e) {
        if (pins.isHeld(e.id())) {
            return true;
        }
        if (!marked.isMarked(e.id())) {
            return false;
        }
        if (damaged.test(e.id())) {
            return true; // which copy is whole is not known: all stay until a backup stores it again
        }
        List<PackIndex.Location> copies = packs.find(e.id());
        return copies.isEmpty() || copies.get(0).pack().equals(pack); // an older copy is a duplicate
    }

    /**
     * Copies the living chunks; false when the pack went meanwhile (another collection), or when
     * another pack's copy of one of them was copied already: the copies of a damaged chunk all
     * live, and the one not copied may be the only whole one, so its pack stays as it is.
     */
    private boolean copy(String pack, List<PackEntry> living, PackWriter copies) {
        for (PackEntry e : living) {
            byte[] stored = packs.read(new PackIndex.Location(pack, e.offset(), e.length())).orElse(null);
            if (stored == null || !copies.add(e.id(), stored, stored.length)) {
                return false;
            }
            copies.commitIfOld(); // a long sweep's packs must not look abandoned either
        }
        return true;
    }

    /**
     * Removes a pack unless a writer took one of its chunks not copied since it was looked at, or
     * an older copy it holds is of a chunk recorded damaged since (which copy is whole is not known).
     */
    private boolean remove(String pack, List<PackEntry> table, Set<ChunkId> copied) {
        for (PackEntry e : table) {
            if (!copied.contains(e.id()) && marked.isMarked(e.id()) && damagedNow.test(e.id())) {
                return false;
            }
        }
        boolean[] done = {false};
        pins.exclusive(() -> {
            for (PackEntry e : table) {
                if (!copied.contains(e.id()) && pins.isHeld(e.id())) {
                    return;
                }
            }
            stillHeld.run(); // last, after the wait for the lock: the lease may have lapsed meanwhile
            packs.delete(pack);
            done[0] = true;
        });
        return done[0];
    }
}
