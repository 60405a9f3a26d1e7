package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbackup.repository.RepositoryTest.CHUNK;
import static org.virtbackup.repository.RepositoryTest.backup;
import static org.virtbackup.repository.RepositoryTest.copies;
import static org.virtbackup.repository.RepositoryTest.disk;
import static org.virtbackup.repository.RepositoryTest.read;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chunks in packs: written by several threads, rewritten by collections, and the version-1 layout beside them. */
class PackTest {

    @TempDir
    Path tmp;

    @Test
    void threadsStoringAtOnceFillSeveralPacksAndEveryChunkReadsBack() throws Exception {
        Repository repo = Repository.create(store("threads"), CHUNK, RepositoryKey.generate(tmp.resolve("key")));
        int n = 400; // 25 MiB of random chunks: more than one pack
        byte[] disk = disk(n, 31);
        UUID uuid = UUID.randomUUID();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (BackupWriter w = repo.writer(uuid)) {
            ChunkIndex ids = ChunkIndex.of(n);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int i = first; i < n; i += 4) {
                        ids.set(i, w.store(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK).id());
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            w.commit(RepositoryTest.manifest(uuid, disk.length, w.writeIndex("vda", ids)));
        } finally {
            pool.shutdown();
        }
        assertEquals(n, copies(repo));
        Set<String> packs = repo.packs().names();
        assertTrue(packs.size() >= 2, "packs: " + packs);
        for (String p : packs) {
            assertTrue(Files.size(tmp.resolve("threads").resolve(p)) < PackWriter.TARGET + 2 * CHUNK, p);
        }
        Repository again = Repository.open(store("threads"), RepositoryKey.read(tmp.resolve("key")));
        Manifest m = again.manifest(uuid).orElseThrow();
        assertArrayEquals(disk, read(again, again.index(m, m.disk("vda")), disk.length));
        assertTrue(new Verifier(again, 2).verify(uuid, x -> { }).whole());
    }

    @Test
    void aCollectionKeepsAMostlyLivingPackAndRewritesOneAQuarterDead() throws IOException {
        Repository repo = Repository.create(store("rewrite"), CHUNK, null);
        byte[] a = disk(8, 41);
        byte[] b = a.clone();
        System.arraycopy(disk(1, 42), 0, b, 7 * CHUNK, CHUNK);
        byte[] c = a.clone();
        System.arraycopy(disk(4, 43), 0, c, 4 * CHUNK, 4 * CHUNK);
        UUID ua = backup(repo, a, null);
        String packOfA = repo.packs().names().iterator().next();
        UUID ub = backup(repo, b, null);
        UUID uc = backup(repo, c, null);
        assertEquals(8 + 1 + 4, copies(repo));

        repo.delete(ua); // a's pack: 7 of 8 chunks still named
        assertEquals(0, new GarbageCollector(repo).collect().chunksRemoved());
        assertTrue(Files.exists(tmp.resolve("rewrite").resolve(packOfA)), "an eighth dead: kept whole");

        repo.delete(ub); // a's pack: 4 of 8 named (by c); b's own pack: nothing
        GarbageCollector.Report r = new GarbageCollector(repo).collect();
        assertEquals(5, r.chunksRemoved());
        assertFalse(Files.exists(tmp.resolve("rewrite").resolve(packOfA)), "half dead: rewritten");
        assertEquals(8, copies(repo));
        Manifest m = repo.manifest(uc).orElseThrow();
        assertArrayEquals(c, read(repo, repo.index(m, m.disk("vda")), c.length));
        Repository again = Repository.open(store("rewrite"), null);
        assertArrayEquals(c, read(again, again.index(m, m.disk("vda")), c.length));
        assertTrue(new Verifier(again, 2).verify(uc, x -> { }).whole());
        assertEquals(List.of(), RepositoryTest.tmpFiles(tmp.resolve("rewrite")));
    }

    @Test
    void aVersionOneRepositoryIsUpgradedItsLooseChunksReadAndCollected() throws IOException {
        Path root = tmp.resolve("v1");
        Repository made = Repository.create(store("v1"), CHUNK, null);
        byte[] disk = disk(2, 51);
        ChunkIndex ids = ChunkIndex.of(2);
        UUID old = UUID.randomUUID();
        for (int i = 0; i < 2; i++) { // as version 1 stored them: a chunk per object
            ChunkId id = made.name(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK);
            made.objects().put(Envelope.TYPE_CHUNK, id.objectName(), Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK);
            ids.set(i, id);
        }
        made.putManifest(RepositoryTest.manifest(old, disk.length, made.putIndex(old, "vda", ids)));
        String config = Files.readString(root.resolve("config")).replace("version=2", "version=1");
        Files.writeString(root.resolve("config"), config);

        Repository repo = Repository.open(store("v1"), null);
        assertTrue(repo.config().looseChunks());
        Manifest m = repo.manifest(old).orElseThrow();
        assertArrayEquals(disk, read(repo, repo.index(m, m.disk("vda")), disk.length));
        assertTrue(new Verifier(repo, 1).verify(old, x -> { }).whole());
        assertEquals(config, Files.readString(root.resolve("config")), "reading changes nothing (a read-only mount)");

        UUID next = backup(repo, disk, null); // finds the loose chunks: stores nothing new
        String upgraded = Files.readString(root.resolve("config"), StandardCharsets.US_ASCII);
        assertTrue(upgraded.contains("version=2") && upgraded.contains("loose-chunks=yes"), upgraded);
        assertEquals(0, copies(repo));
        repo.delete(old);
        assertEquals(0, new GarbageCollector(repo).collect().chunksRemoved(), "the new backup names them");
        repo.delete(next);
        assertEquals(2, new GarbageCollector(repo).collect().chunksRemoved());
        assertTrue(repo.objects().list("chunks/").isEmpty());
    }

    @Test
    void aPackWhoseTableIsDamagedIsKeptAndItsChunksAreReportedDamaged() throws IOException {
        Repository repo = Repository.create(store("table"), CHUNK, RepositoryKey.generate(tmp.resolve("key")));
        byte[] disk = disk(3, 61);
        UUID b = backup(repo, disk, null);
        String pack = repo.packs().names().iterator().next();
        Path file = tmp.resolve("table").resolve(pack);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 40] ^= 1; // inside the sealed table
        Files.write(file, bytes);

        Repository again = Repository.open(store("table"), RepositoryKey.read(tmp.resolve("key")));
        Verifier.Report r = new Verifier(again, 2).verify(b, x -> { });
        assertEquals(3, r.damaged().size());
        assertTrue(r.damaged().values().iterator().next().contains("no pack holds it"), r.damaged().toString());
        assertTrue(again.packs().unreadable().containsKey(pack));
        new GarbageCollector(again).collect();
        assertTrue(Files.exists(file), "what a pack holds is unknown when its table cannot be read: it stays");
    }

    /**
     * Which copy of a chunk is the newest is written in its pack's table, so every process, and
     * this one after a restart, reads and keeps the same one: here the copy stored last (a repair)
     * over an older one (damaged), whatever order the packs are listed in.
     */
    @Test
    void theNewestCopyIsTheOneStoredLastInEveryProcess() throws Exception {
        Repository repo = Repository.create(store("newest"), CHUNK, null);
        byte[] disk = disk(1, 71);
        UUID b = backup(repo, disk, null);
        ChunkId id = repo.index(repo.manifest(b).orElseThrow(), repo.manifest(b).orElseThrow().disk("vda")).get(0);
        Thread.sleep(5);
        for (int k = 0; k < 6; k++) { // older copies, damaged, each in a pack of its own
            byte[] bad = repo.sealChunk(id, disk(1, 80 + k), CHUNK);
            RepositoryTest.addCopy(repo, id, bad);
        }
        Thread.sleep(5);
        RepositoryTest.addCopy(repo, id, repo.sealChunk(id, disk, CHUNK)); // the repair
        for (int round = 0; round < 3; round++) {
            Repository again = Repository.open(store("newest"), null);
            assertArrayEquals(disk, again.checkedChunk(id), "the newest copy, in a fresh process's order");
            new GarbageCollector(again).collect();
        }
        assertEquals(1, copies(repo), "a collection keeps the newest copy only");
        assertTrue(new Verifier(Repository.open(store("newest"), null), 1).verify(b, x -> { }).whole());
    }

    /**
     * Every copy of a chunk recorded damaged lives, and a collection rewriting two packs that each
     * hold one copies only the first it meets: the other pack must then stay, since its copy may
     * be the only whole one. Here each chunk has a damaged copy in the backup's pack, a whole one
     * in a pack half dead, and a damaged newest one in another pack half dead; the packs are swept
     * in the order a set gives, so with eight chunks, keeping only the copy met first would lose
     * some chunk's whole copy in all but one order of 256.
     */
    @Test
    void aCollectionKeepsEveryCopyOfADamagedChunkWholeOnesIncluded() throws Exception {
        Repository repo = Repository.create(store("damaged-copies"), CHUNK, null);
        int n = 8;
        byte[] disk = disk(n, 91);
        UUID b = backup(repo, disk, null);
        Manifest m = repo.manifest(b).orElseThrow();
        ChunkIndex ids = repo.index(m, m.disk("vda"));
        for (int i = 0; i < n; i++) { // the backup's own copies damaged
            PackIndex.Location at = repo.packs().find(ids.get(i)).get(0);
            Path file = tmp.resolve("damaged-copies").resolve(at.pack());
            byte[] bytes = Files.readAllBytes(file);
            bytes[at.offset() + at.length() / 2] ^= 1;
            Files.write(file, bytes);
        }
        Thread.sleep(5);
        for (int i = 0; i < n; i++) { // whole copies, each beside a chunk nothing names
            byte[] chunk = Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK);
            addCopies(repo, ids.get(i), repo.sealChunk(ids.get(i), chunk, CHUNK), disk(1, 200 + i));
        }
        Thread.sleep(5);
        for (int i = 0; i < n; i++) { // the newest copies: other data under the chunk's name
            addCopies(repo, ids.get(i), repo.sealChunk(ids.get(i), disk(1, 300 + i), CHUNK), disk(1, 400 + i));
        }
        assertEquals(n, new Verifier(repo, 2).verify(b, x -> { }).damaged().size(), "the newest copies are damaged");

        new GarbageCollector(repo).collect();

        Repository again = Repository.open(store("damaged-copies"), null);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), again.readChunk(ids.get(i)),
                    "chunk " + i + ": a restore still finds its whole copy");
        }
    }

    /**
     * A collection loads the damage records when it starts; one written later, by a verification
     * in another process, must still keep the older copies: the pack about to go is asked about
     * at the last moment. Here the collection's loaded view says "not damaged", the store has the
     * record, and the older, whole copy stays.
     */
    @Test
    void aDamageRecordWrittenDuringACollectionKeepsTheOlderCopies() throws Exception {
        Repository repo = Repository.create(store("late-record"), CHUNK, null);
        byte[] disk = disk(1, 95);
        UUID b = backup(repo, disk, null);
        Manifest m = repo.manifest(b).orElseThrow();
        ChunkIndex ids = repo.index(m, m.disk("vda"));
        ChunkId id = ids.get(0);
        Thread.sleep(5);
        addCopies(repo, id, repo.sealChunk(id, disk(1, 500), CHUNK), disk(1, 501)); // the newest copy, damaged
        Repository elsewhere = Repository.open(store("late-record"), null);
        assertEquals(1, new Verifier(elsewhere, 1).verify(b, x -> { }).damaged().size());

        ChunkMarks marked = new ChunkMarks();
        marked.mark(ids);
        repo.packs().refresh();
        new PackSweep(repo.packs(), marked, repo.pins(), x -> false, repo.damage()::recordedNow, () -> { })
                .sweep(repo.packs().names());

        assertArrayEquals(disk, Repository.open(store("late-record"), null).readChunk(id), "the whole copy stayed");
    }

    /** A pack of its own holding a copy of the chunk, as stored, and one of unnamed data. */
    private static void addCopies(Repository repo, ChunkId id, byte[] stored, byte[] unnamed) {
        try (PackWriter w = repo.packs().writer()) {
            w.add(id, stored, stored.length);
            byte[] other = repo.sealChunk(repo.name(unnamed, unnamed.length), unnamed, unnamed.length);
            w.add(repo.name(unnamed, unnamed.length), other, other.length);
            w.flush();
        }
    }

    /**
     * Closed packs wait for their group (two here; sixteen in a directory) and are then committed
     * through the file store's grouped commit; until then no pack is under its name or in the
     * index, and a flush commits the rest.
     */
    @Test
    void closedPacksAreCommittedAsAGroupAndFoundOnlyThen() throws IOException {
        FileObjectStore files = store("grouped");
        ObjectStore grouped = new ForwardingStore(files) {
            @Override
            public NewObject create(String name) throws IOException {
                return files.create(name);
            }

            @Override
            public void commit(List<NewObject> objects) throws IOException {
                files.commit(objects);
            }

            @Override
            public int commitGroup() {
                return 2;
            }
        };
        Repository repo = Repository.create(grouped, CHUNK, null);
        assertEquals(Set.of(), repo.packs().names(), "the index, loaded (empty) before any pack");
        int perPack = (int) (PackWriter.TARGET / CHUNK); // the chunk that brings a pack to its target closes it
        byte[] disk = disk(2 * perPack + 3, 95);
        try (PackWriter w = repo.packs().writer()) {
            int i = 0;
            for (; i < perPack; i++) {
                w.add(ChunkId.of(sha256(disk, i), 0), chunk(disk, i), CHUNK);
            }
            assertEquals(List.of(), packFiles("grouped"), "one closed pack waits for its group");
            assertEquals(Set.of(), repo.packs().names(), "and is not in the index");
            assertEquals(1, RepositoryTest.tmpFiles(tmp.resolve("grouped")).size());
            for (; i < 2 * perPack; i++) {
                w.add(ChunkId.of(sha256(disk, i), 0), chunk(disk, i), CHUNK);
            }
            assertEquals(2, packFiles("grouped").size(), "the group of two is committed");
            assertEquals(2, repo.packs().names().size(), "and in the index");
            for (; i < 2 * perPack + 3; i++) {
                w.add(ChunkId.of(sha256(disk, i), 0), chunk(disk, i), CHUNK);
            }
            w.flush();
        }
        assertEquals(3, packFiles("grouped").size());
        assertEquals(List.of(), RepositoryTest.tmpFiles(tmp.resolve("grouped")));
        assertEquals(2 * perPack + 3, copies(Repository.open(store("grouped"), null)));
    }

    /** Objects committed together are each whole under their names; a foreign object is committed on its own. */
    @Test
    void aFileStoreCommitsObjectsTogether() throws IOException {
        FileObjectStore files = store("together");
        byte[] a = disk(3, 96);
        byte[] b = disk(40, 97); // past a staging buffer: written with O_DIRECT where the file system allows it
        List<ObjectStore.NewObject> objects = new ArrayList<>();
        objects.add(files.create("p/one"));
        objects.add(files.create("q/two"));
        objects.get(0).write(a, 0, a.length);
        objects.get(1).write(b, 0, b.length);
        files.commit(objects);
        for (ObjectStore.NewObject o : objects) {
            o.close(); // committed: nothing removed
        }
        assertArrayEquals(a, files.get("p/one").orElseThrow());
        assertArrayEquals(b, files.get("q/two").orElseThrow());
        assertEquals(List.of(), RepositoryTest.tmpFiles(tmp.resolve("together")));
        ObjectStore.NewObject foreign = new ForwardingStore(files).create("r/three"); // the default: held in memory
        foreign.write(a, 0, a.length);
        files.commit(List.of(foreign));
        assertArrayEquals(a, files.get("r/three").orElseThrow());
    }

    private List<Path> packFiles(String store) throws IOException {
        try (Stream<Path> all = Files.walk(tmp.resolve(store).resolve("packs"))) {
            return all.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".tmp-")).toList();
        }
    }

    private static byte[] chunk(byte[] disk, int i) {
        return Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK);
    }

    private static byte[] sha256(byte[] disk, int i) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(chunk(disk, i));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A pack that cannot be written fails the backup at its index: no index names chunks that were lost. */
    @Test
    void aPackThatCannotBeWrittenFailsTheIndexNotJustTheThreadThatWroteIt() {
        FileObjectStore files = store("failing");
        AtomicBoolean fail = new AtomicBoolean();
        ObjectStore failing = new ForwardingStore(files) {
            @Override
            public NewObject create(String name) throws IOException {
                return new ForwardingObject(files.create(name)) {
                    @Override
                    public void commit() throws IOException {
                        if (fail.get()) {
                            throw new IOException("no space left on device (a test)");
                        }
                        super.commit();
                    }
                };
            }
        };
        Repository repo = Repository.create(failing, CHUNK, null);
        int n = 300; // more than a pack
        byte[] disk = disk(n, 91);
        fail.set(true);
        try (BackupWriter w = repo.writer(UUID.randomUUID())) {
            ChunkIndex ids = ChunkIndex.of(n);
            int stored = 0;
            for (int i = 0; i < n; i++) {
                try {
                    ids.set(i, w.store(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK).id());
                    stored++;
                } catch (RepositoryException e) {
                    // the pack that filled could not be committed: from then on, storing fails
                }
            }
            assertTrue(stored < n, "a pack filled and failed to commit");
            RepositoryException e = org.junit.jupiter.api.Assertions.assertThrows(RepositoryException.class,
                    () -> w.writeIndex("vda", ids));
            assertTrue(e.getMessage().contains("could not be written"), e.getMessage());
        }
        assertEquals(0, copies(repo));
        assertEquals(List.of(), RepositoryTest.tmpFiles(tmp.resolve("failing")));
    }

    /**
     * Once a backup has filled a pack, one thread whose append waits for the disk leaves the
     * others a pack of their own to fill.
     */
    @Test
    void aThreadWaitingForTheDiskDoesNotHoldUpTheOthers() throws Exception {
        FileObjectStore files = store("lanes");
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger made = new AtomicInteger();
        ObjectStore slow = new ForwardingStore(files) {
            @Override
            public NewObject create(String name) throws IOException {
                boolean stall = made.incrementAndGet() == 2; // the second pack's first write waits
                return new ForwardingObject(files.create(name)) {
                    private boolean waited;

                    @Override
                    public void write(byte[] data, int offset, int length) throws IOException {
                        if (stall && !waited) {
                            waited = true;
                            stalled.countDown();
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                throw new InterruptedIOException();
                            }
                        }
                        super.write(data, offset, length);
                    }
                };
            }
        };
        Repository repo = Repository.create(slow, CHUNK, null);
        int perPack = (int) (PackWriter.TARGET / CHUNK);
        byte[] disk = disk(perPack + 2, 17);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        PackWriter w = repo.packs().writer();
        try {
            for (int i = 0; i < perPack; i++) { // one pack full: the lanes open
                w.add(ChunkId.of(sha256(disk, i), 0), chunk(disk, i), CHUNK);
            }
            Future<Boolean> waiting = pool.submit(() -> w.add(ChunkId.of(sha256(disk, perPack), 0), chunk(disk, perPack),
                    CHUNK));
            assertTrue(stalled.await(10, TimeUnit.SECONDS), "the first append reached the disk");
            Future<Boolean> other = pool.submit(() -> w.add(ChunkId.of(sha256(disk, perPack + 1), 0),
                    chunk(disk, perPack + 1), CHUNK));
            assertTrue(other.get(10, TimeUnit.SECONDS),
                    "another thread stores while the first waits, not after it");
            assertFalse(waiting.isDone(), "the first still waits");
            release.countDown();
            assertTrue(waiting.get(10, TimeUnit.SECONDS));
            w.flush();
        } finally {
            release.countDown(); // before the close: the stalled thread ends its add first
            pool.shutdown();
            pool.awaitTermination(10, TimeUnit.SECONDS);
            w.close();
        }
        assertEquals(3, packFiles("lanes").size(), "the full one, and two filled at once");
        assertEquals(perPack + 2, copies(Repository.open(store("lanes"), null)));
    }

    /** A pack that cannot even be made fails the writer, and leaves no chunk looking stored. */
    @Test
    void aPackThatCannotBeMadeFailsTheWriter() {
        FileObjectStore files = store("unmade");
        ObjectStore full = new ForwardingStore(files) {
            @Override
            public NewObject create(String name) throws IOException {
                throw new IOException("no space left on device (a test)");
            }
        };
        Repository repo = Repository.create(full, CHUNK, null);
        byte[] disk = disk(1, 29);
        ChunkId id = ChunkId.of(sha256(disk, 0), 0);
        try (PackWriter w = repo.packs().writer()) {
            assertThrows(RepositoryException.class, () -> w.add(id, chunk(disk, 0), CHUNK));
            assertFalse(w.holds(id), "the chunk is not pending in a pack that was never made");
            RepositoryException e = assertThrows(RepositoryException.class, w::flush);
            assertTrue(e.getMessage().contains("could not be written"), e.getMessage());
        }
    }

    /** A backup smaller than a pack, stored by several threads at once, fills one pack. */
    @Test
    void aSmallBackupStoredByManyThreadsFillsOnePack() throws Exception {
        Repository repo = Repository.create(store("small"), CHUNK, null);
        int n = 64;
        byte[] disk = disk(n, 37);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (PackWriter w = repo.packs().writer()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int i = first; i < n; i += 8) {
                        w.add(ChunkId.of(sha256(disk, i), 0), chunk(disk, i), CHUNK);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            w.flush();
        } finally {
            pool.shutdown();
        }
        assertEquals(1, packFiles("small").size());
        assertEquals(n, copies(Repository.open(store("small"), null)));
    }

    /** A backup stored by one thread fills one pack at a time: no pack per lane. */
    @Test
    void oneThreadFillsOnePackAtATime() throws IOException {
        Repository repo = Repository.create(store("one"), CHUNK, null);
        int perPack = (int) (PackWriter.TARGET / CHUNK);
        byte[] disk = disk(perPack + 3, 23);
        try (PackWriter w = repo.packs().writer()) {
            for (int i = 0; i < perPack + 3; i++) {
                w.add(ChunkId.of(sha256(disk, i), 0), chunk(disk, i), CHUNK);
            }
            w.flush();
        }
        assertEquals(2, packFiles("one").size(), "a full pack and one of three chunks");
        assertEquals(perPack + 3, copies(Repository.open(store("one"), null)));
    }

    /** A new object that passes everything to another. */
    private static class ForwardingObject implements ObjectStore.NewObject {
        private final ObjectStore.NewObject real;

        ForwardingObject(ObjectStore.NewObject real) {
            this.real = real;
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            real.write(data, offset, length);
        }

        @Override
        public long size() {
            return real.size();
        }

        @Override
        public void commit() throws IOException {
            real.commit();
        }

        @Override
        public void close() throws IOException {
            real.close();
        }
    }

    private FileObjectStore store(String name) {
        try {
            return new FileObjectStore(Files.createDirectories(tmp.resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
