package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepositoryTest {

    static final int CHUNK = 64 * 1024;
    static final UUID DOMAIN = UUID.randomUUID();

    @TempDir
    Path tmp;

    @Test
    void aBackupReadsBackAsWrittenAndNamesZerosWithoutStoringThem() {
        Repository repo = Repository.create(store("plain"), CHUNK, null);
        byte[] disk = disk(10, 1);
        Arrays.fill(disk, 3 * CHUNK, 5 * CHUNK, (byte) 0);
        UUID b = backup(repo, disk, null);
        Manifest m = repo.manifest(b).orElseThrow();
        ChunkIndex ids = repo.index(m, m.disk("vda"));
        assertEquals(ChunkId.ZERO, ids.get(3));
        assertEquals(ChunkId.ZERO, ids.get(4));
        assertArrayEquals(disk, read(repo, ids, disk.length));
        assertEquals(8, copies(repo));
        assertEquals(1, repo.packs().names().size(), "the chunks of a small backup go into one pack");
        assertTrue(repo.objects().list("chunks/").isEmpty());
        assertEquals("<backup/>", m.descriptor());
    }

    @Test
    void aClosedWriterStoresNothingMore() {
        Repository repo = Repository.create(store("closed"), CHUNK, null);
        byte[] disk = disk(2, 5);
        BackupWriter w = repo.writer(UUID.randomUUID());
        w.store(Arrays.copyOfRange(disk, 0, CHUNK), CHUNK);
        w.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> w.store(Arrays.copyOfRange(disk, CHUNK, 2 * CHUNK), CHUNK));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }

    @Test
    void equalChunksAreStoredOnceAcrossBackups() {
        Repository repo = Repository.create(store("dedup"), CHUNK, null);
        byte[] disk = disk(8, 2);
        try (BackupWriter w = repo.writer(UUID.randomUUID())) {
            for (int i = 0; i < 8; i++) {
                w.store(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK);
            }
            assertTrue(w.storedBytes() > 0);
        } // closed before an index: its packs are not committed, so nothing stays
        assertEquals(0, copies(repo));
        assertEquals(List.of(), tmpFiles(tmp.resolve("dedup")), "nothing half-written stays");
        backup(repo, disk, null);
        try (BackupWriter w = repo.writer(UUID.randomUUID())) {
            for (int i = 0; i < 8; i++) {
                assertEquals(0, w.store(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK).newBytes());
            }
            assertEquals(0, w.storedBytes());
            assertEquals(8L * CHUNK, w.deduplicatedBytes());
        }
    }

    @Test
    void anEncryptedRepositoryHoldsNothingInTheClearAndNamesChunksUnderItsKey() throws IOException {
        RepositoryKey key = RepositoryKey.generate(tmp.resolve("key"));
        Repository repo = Repository.create(store("sealed"), CHUNK, key);
        byte[] pattern = new byte[CHUNK];
        new Random(7).nextBytes(pattern);
        byte[] text = "<domain><name>secret-guest</name></domain>".repeat(100).getBytes();
        byte[] disk = new byte[2 * CHUNK];
        System.arraycopy(pattern, 0, disk, 0, CHUNK);
        System.arraycopy(text, 0, disk, CHUNK, text.length);
        UUID b = backup(repo, disk, "<domain><name>secret-guest</name></domain>");
        byte[] probe = Arrays.copyOfRange(pattern, 1000, 1064);
        try (Stream<Path> files = Files.walk(tmp.resolve("sealed"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] content = Files.readAllBytes(f);
                assertFalse(contains(content, probe), f + " holds the guest's data");
                assertFalse(contains(content, "secret-guest".getBytes()), f + " holds the domain's name");
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
        Repository plain = Repository.create(store("plain"), CHUNK, null);
        assertNotEquals(plain.name(pattern, CHUNK), repo.name(pattern, CHUNK), "a keyed name differs from SHA-256");
        Repository again = Repository.open(store("sealed"), RepositoryKey.read(tmp.resolve("key")));
        Manifest m = again.manifest(b).orElseThrow();
        assertArrayEquals(disk, read(again, again.index(m, m.disk("vda")), disk.length));
    }

    @Test
    void withoutTheKeyOrWithAnotherTheRepositoryRefusesAndSaysWhy() {
        RepositoryKey key = RepositoryKey.generate(tmp.resolve("key"));
        Repository.create(store("sealed"), CHUNK, key);
        RepositoryException none = assertThrows(RepositoryException.class, () -> Repository.open(store("sealed"), null));
        assertEquals(RepositoryException.Problem.KEY_MISSING, none.problem());
        assertTrue(none.getMessage().contains(key.fingerprint()), none.getMessage());
        RepositoryKey other = RepositoryKey.generate(tmp.resolve("other"));
        RepositoryException wrong = assertThrows(RepositoryException.class, () -> Repository.open(store("sealed"), other));
        assertEquals(RepositoryException.Problem.KEY_MISMATCH, wrong.problem());
        assertFalse(wrong.getMessage().contains(Files.exists(tmp.resolve("key")) ? read(tmp.resolve("key")) : "x"));
    }

    @Test
    void aKeyFileOpenToOthersIsRefused() throws IOException {
        RepositoryKey.generate(tmp.resolve("key"));
        Files.setPosixFilePermissions(tmp.resolve("key"), PosixFilePermissions.fromString("rw-r--r--"));
        RepositoryException e = assertThrows(RepositoryException.class, () -> RepositoryKey.read(tmp.resolve("key")));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    }

    @Test
    void anObjectMovedToAnotherNameFailsItsTag() throws IOException {
        RepositoryKey key = RepositoryKey.generate(tmp.resolve("key"));
        Repository repo = Repository.create(store("sealed"), CHUNK, key);
        UUID a = backup(repo, disk(1, 3), null);
        UUID b = backup(repo, disk(1, 4), null);
        Path dir = tmp.resolve("sealed/manifests");
        Files.copy(dir.resolve(a.toString()), dir.resolve(b.toString()), StandardCopyOption.REPLACE_EXISTING);
        RepositoryException e = assertThrows(RepositoryException.class, () -> repo.manifest(b));
        assertEquals(RepositoryException.Problem.DAMAGED, e.problem());
    }

    /**
     * A restore's reads trust a chunk's tag, which binds its content to its name under the key;
     * verification also hashes the content, and checks the newest copy only (the one a collection
     * keeps). Content sealed under a name it does not hash to (what only a faulty writer could
     * make) is read, and found damaged by verify; a chunk's envelope filed under another chunk's
     * id fails its tag, and a restore falls back on an older copy; a plain repository hashes.
     */
    @Test
    void readsTrustTheTagVerificationAlsoHashesAndPlainReadsHash() throws IOException {
        Repository sealed = Repository.create(store("tag"), CHUNK, RepositoryKey.generate(tmp.resolve("key")));
        byte[] disk = disk(2, 21);
        UUID a = backup(sealed, disk, null);
        ChunkIndex ids = sealed.index(sealed.manifest(a).orElseThrow(), sealed.manifest(a).orElseThrow().disk("vda"));
        byte[] other = disk(1, 22);
        addCopy(sealed, ids.get(0), sealed.sealChunk(ids.get(0), other, other.length));
        assertArrayEquals(other, sealed.readChunk(ids.get(0)));
        assertEquals(Set.of(ids.get(0)), new Verifier(sealed, 2).verify(a, n -> { }).damaged().keySet());
        byte[] stolen = sealed.packs().read(sealed.packs().find(ids.get(1)).get(0)).orElseThrow();
        addCopy(sealed, ids.get(0), stolen);
        RepositoryException tag = assertThrows(RepositoryException.class, () -> sealed.checkedChunk(ids.get(0)));
        assertTrue(tag.getMessage().contains("authentication tag"), tag.getMessage());
        assertArrayEquals(other, sealed.readChunk(ids.get(0)), "a restore falls back on the older copy");

        Repository plain = Repository.create(store("plain-tag"), CHUNK, null);
        UUID b = backup(plain, disk, null);
        ChunkIndex plainIds = plain.index(plain.manifest(b).orElseThrow(), plain.manifest(b).orElseThrow().disk("vda"));
        addCopy(plain, plainIds.get(0), plain.sealChunk(plainIds.get(0), other, other.length));
        RepositoryException e = assertThrows(RepositoryException.class, () -> plain.checkedChunk(plainIds.get(0)));
        assertTrue(e.getMessage().contains("does not hash to its name"), e.getMessage());
        assertArrayEquals(Arrays.copyOf(disk, CHUNK), plain.readChunk(plainIds.get(0)), "the older, whole copy is read");
    }

    @Test
    void collectionRemovesOnlyWhatNoManifestNames() {
        Repository repo = Repository.create(store("gc"), CHUNK, null);
        byte[] shared = disk(4, 5);
        byte[] second = shared.clone();
        new Random(6).nextBytes(second); // all four chunks differ
        System.arraycopy(shared, 0, second, 0, 2 * CHUNK); // two shared
        UUID a = backup(repo, shared, null);
        UUID b = backup(repo, second, null);
        assertEquals(6, copies(repo));
        repo.delete(a);
        GarbageCollector.Report r = new GarbageCollector(repo).collect();
        assertEquals(2, r.chunksRemoved(), "half of a's pack is dead: rewritten");
        assertEquals(4, copies(repo));
        Manifest m = repo.manifest(b).orElseThrow();
        assertArrayEquals(second, read(repo, repo.index(m, m.disk("vda")), second.length));
        assertTrue(repo.objects().list("indexes/" + a).isEmpty());
    }

    @Test
    void objectsReadBackWholeWhereDirectIoWorksAndOnTmpfsWhereItDoesNot() throws IOException {
        for (Path dir : List.of(tmp.resolve("disk"), Files.createTempDirectory(Path.of("/dev/shm"), "vb-direct"))) {
            try {
                FileObjectStore store = new FileObjectStore(Files.createDirectories(dir));
                byte[] big = disk(17, 13); // 1088 KiB + 1 byte: an aligned bulk and a tail
                big = Arrays.copyOf(big, big.length + 1);
                store.put("a/big", big);
                store.putUnsynced("a/small", new byte[] {1, 2, 3});
                store.sync(List.of("a/big", "a/small"));
                assertArrayEquals(big, store.get("a/big").orElseThrow());
                assertArrayEquals(new byte[] {1, 2, 3}, store.get("a/small").orElseThrow());
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/big"))));
                try (ObjectStore.NewObject pieces = store.create("b/pieces")) { // a pack's way: appended, then committed
                    for (int at = 0; at < big.length; at += 100_003) {
                        pieces.write(big, at, Math.min(100_003, big.length - at));
                    }
                    assertFalse(Files.exists(dir.resolve("b/pieces")), "not under its name before the commit");
                    pieces.commit();
                }
                assertArrayEquals(big, store.get("b/pieces").orElseThrow());
                assertArrayEquals(Arrays.copyOfRange(big, 1_000_000, 1_070_000), store.get("b/pieces", 1_000_000, 70_000).orElseThrow());
                try (ObjectStore.NewObject abandoned = store.create("b/abandoned")) {
                    abandoned.write(big, 0, big.length);
                }
                assertFalse(Files.exists(dir.resolve("b/abandoned")));
                assertEquals(List.of(), tmpFiles(dir), "an abandoned object leaves nothing");
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void filesThatAreNotOursNeitherBlockACollectionNorAreRemoved() throws IOException {
        Repository repo = Repository.create(store("stray"), CHUNK, null);
        UUID b = backup(repo, disk(2, 12), null);
        Path root = tmp.resolve("stray");
        for (String stray : List.of("manifests/README", "indexes/notes.txt", "chunks/ab/copy-of-something", "damaged/x",
                "packs/ab/copy-of-something")) {
            Files.createDirectories(root.resolve(stray).getParent());
            Files.writeString(root.resolve(stray), "mine");
        }
        assertEquals(List.of(b), repo.manifests().manifests().stream().map(Manifest::backup).toList());
        assertEquals(0, new GarbageCollector(repo).collect().chunksRemoved());
        for (String stray : List.of("manifests/README", "indexes/notes.txt", "chunks/ab/copy-of-something", "damaged/x",
                "packs/ab/copy-of-something")) {
            assertTrue(Files.exists(root.resolve(stray)), stray);
        }
    }

    @Test
    void aCollectionDuringABackupKeepsWhatTheBackupWillName() {
        Repository repo = Repository.create(store("race"), CHUNK, null);
        byte[] disk = disk(4, 8);
        UUID parent = backup(repo, disk, null);
        Manifest pm = repo.manifest(parent).orElseThrow();
        ChunkIndex parentIds = repo.index(pm, pm.disk("vda"));
        UUID child = UUID.randomUUID();
        try (BackupWriter w = repo.writer(child)) {
            ChunkIndex ids = ChunkIndex.of(parentIds.size());
            for (int i = 0; i < 3; i++) {
                assertTrue(w.reuse(parentIds.get(i)));
                ids.set(i, parentIds.get(i));
            }
            byte[] changed = disk(1, 9);
            ids.set(3, w.store(changed, CHUNK).id());
            w.writeIndex("vda", ids);
            repo.delete(parent); // the parent goes while the child still names its chunks
            GarbageCollector.Report during = new GarbageCollector(repo).collect();
            assertEquals(1, during.chunksRemoved(), "only the parent's own last chunk goes");
            w.commit(manifest(child, disk.length, w.writeIndex("vda", ids)));
        }
        new GarbageCollector(repo).collect();
        Manifest m = repo.manifest(child).orElseThrow();
        byte[] expected = disk.clone();
        System.arraycopy(disk(1, 9), 0, expected, 3 * CHUNK, CHUNK);
        assertArrayEquals(expected, read(repo, repo.index(m, m.disk("vda")), expected.length));
    }

    @Test
    void aChunkCollectedBeforeItIsReusedIsStoredAgain() {
        Repository repo = Repository.create(store("again"), CHUNK, null);
        byte[] disk = disk(2, 10);
        UUID parent = backup(repo, disk, null);
        Manifest pm = repo.manifest(parent).orElseThrow();
        ChunkIndex ids = repo.index(pm, pm.disk("vda"));
        repo.delete(parent);
        new GarbageCollector(repo).collect();
        try (BackupWriter w = repo.writer(UUID.randomUUID())) {
            assertFalse(w.reuse(ids.get(0)), "a collected chunk is not reused");
            assertEquals(ids.get(0), w.store(Arrays.copyOf(disk, CHUNK), CHUNK).id());
        }
    }

    @Test
    void verificationFindsADamagedChunkMarksEveryBackupNamingItAndANewCopyRepairsIt() throws IOException {
        Repository repo = Repository.create(store("verify"), CHUNK, RepositoryKey.generate(tmp.resolve("key")));
        byte[] disk = disk(3, 11);
        UUID a = backup(repo, disk, null);
        UUID b = backup(repo, disk, null);
        Verifier verifier = new Verifier(repo, 2);
        assertTrue(verifier.verify(a, n -> { }).whole());
        Manifest m = repo.manifest(a).orElseThrow();
        ChunkId victim = repo.index(m, m.disk("vda")).get(1);
        PackIndex.Location at = repo.packs().find(victim).get(0);
        Path file = tmp.resolve("verify").resolve(at.pack());
        byte[] bytes = Files.readAllBytes(file);
        bytes[at.offset() + at.length() / 2] ^= 1;
        Files.write(file, bytes);
        Verifier.Report r = verifier.verify(a, n -> { });
        assertEquals(List.of(victim), new ArrayList<>(r.damaged().keySet()));
        assertEquals(Set.of(a, b), r.damagedBackups());
        assertEquals(Set.of(a, b), Repository.open(store("verify"), RepositoryKey.read(tmp.resolve("key")))
                .damagedBackups(), "the record is in the repository");
        try (BackupWriter w = repo.writer(UUID.randomUUID())) {
            assertFalse(w.reuse(victim), "a damaged chunk is not reused");
            assertTrue(w.store(Arrays.copyOfRange(disk, CHUNK, 2 * CHUNK), CHUNK).newBytes() > 0);
        }
        assertFalse(repo.damagedBackups().isEmpty(), "a copy not committed repairs nothing");
        backup(repo, disk, null);
        assertTrue(repo.damagedBackups().isEmpty(), "the new copy repaired it");
        assertTrue(verifier.verify(b, n -> { }).whole());
        new GarbageCollector(repo).collect();
        assertTrue(verifier.verify(a, n -> { }).whole(), "the collection kept the new copy");
    }

    /** A store that fails (an S3 endpoint away) stops the verification: no chunk is recorded damaged for it. */
    @Test
    void aStoreThatFailsStopsVerificationAndRecordsNoDamage() throws IOException {
        Repository repo = Repository.create(store("outage"), CHUNK, null);
        UUID a = backup(repo, disk(2, 19), null);
        boolean[] away = {false};
        boolean[] indexesAway = {false};
        Repository seen = Repository.open(new ForwardingStore(store("outage")) {
            @Override
            public Optional<byte[]> get(String name, long offset, int length) throws IOException {
                if (away[0]) {
                    throw new IOException("connection refused");
                }
                return super.get(name, offset, length);
            }

            @Override
            public Optional<byte[]> get(String name) throws IOException {
                if (indexesAway[0] && name.startsWith("indexes/")) {
                    throw new IOException("connection refused");
                }
                return super.get(name);
            }
        }, null);
        indexesAway[0] = true;
        RepositoryException index = assertThrows(RepositoryException.class, () -> new Verifier(seen, 2).verify(a, n -> { }));
        assertEquals(RepositoryException.Problem.IO, index.problem(), "an index the store does not give is not damaged: "
                + index.getMessage());
        indexesAway[0] = false;
        away[0] = true;
        RepositoryException e = assertThrows(RepositoryException.class, () -> new Verifier(seen, 2).verify(a, n -> { }));
        assertEquals(RepositoryException.Problem.IO, e.problem(), e.getMessage());
        away[0] = false;
        assertTrue(Repository.open(store("outage"), null).damagedBackups().isEmpty(), "nothing recorded damaged");
        assertTrue(new Verifier(seen, 2).verify(a, n -> { }).whole());
    }

    /**
     * A damage record that cannot be read (its envelope broken, or a line that is no UUID) still
     * counts its chunk damaged, naming no backup; it stops neither listing, backups nor collections,
     * and a backup storing the chunk again removes it.
     */
    @Test
    void anUnreadableDamageRecordKeepsItsChunkDamagedAndStopsNothing() throws IOException {
        Repository repo = Repository.create(store("bad-record"), CHUNK, null);
        byte[] disk = disk(2, 17);
        UUID a = backup(repo, disk, null);
        Manifest m = repo.manifest(a).orElseThrow();
        ChunkId broken = repo.index(m, m.disk("vda")).get(0);
        ChunkId notUuids = repo.index(m, m.disk("vda")).get(1);
        Path root = tmp.resolve("bad-record");
        Files.createDirectories(root.resolve("damaged"));
        Files.write(root.resolve(DamageRecords.PREFIX + broken.hex()), "not a record".getBytes(StandardCharsets.US_ASCII));
        byte[] text = "no uuid here".getBytes(StandardCharsets.US_ASCII);
        repo.objects().put(Envelope.TYPE_DAMAGE, DamageRecords.PREFIX + notUuids.hex(), text, text.length);

        Repository again = Repository.open(store("bad-record"), null);
        assertEquals(Set.of(), again.damagedBackups(), "no backup is named");
        try (BackupWriter w = again.writer(UUID.randomUUID())) {
            assertFalse(w.reuse(broken), "its chunk still counts as damaged");
            assertFalse(w.reuse(notUuids), "its chunk still counts as damaged");
        }
        new GarbageCollector(again).collect();
        UUID b = backup(again, disk, null);
        assertFalse(Files.exists(root.resolve(DamageRecords.PREFIX + broken.hex())), "storing the chunk again repaired it");
        assertFalse(Files.exists(root.resolve(DamageRecords.PREFIX + notUuids.hex())), "storing the chunk again repaired it");
        assertTrue(new Verifier(again, 1).verify(b, x -> { }).whole());
        assertEquals(2, again.manifests().manifests().size());
    }

    /**
     * What crashed puts left (here a temporary file two hours old; on S3 an unfinished multipart
     * upload, billed) is removed even by a collection that then stops because a manifest cannot
     * be read.
     */
    @Test
    void aCollectionStoppedByAnUnreadableManifestStillRemovesOldTemporaries() throws IOException {
        Repository repo = Repository.create(store("temporaries"), CHUNK, null);
        backup(repo, disk(1, 19), null);
        Path root = tmp.resolve("temporaries");
        Files.writeString(root.resolve("manifests").resolve(UUID.randomUUID().toString()), "not a manifest");
        Path old = Files.writeString(root.resolve("packs").resolve(".tmp-crashed"), "half a pack");
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - 7_200_000));
        RepositoryException e = assertThrows(RepositoryException.class, () -> new GarbageCollector(repo).collect());
        assertTrue(e.getMessage().contains("manifests cannot be read"), e.getMessage());
        assertFalse(Files.exists(old), "the old temporary is gone all the same");
    }

    static List<Path> tmpFiles(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Chunk copies in the repository's packs, as their tables list them. */
    static int copies(Repository repo) {
        repo.packs().refresh();
        return repo.packs().names().stream().mapToInt(p -> repo.packs().table(p).size()).sum();
    }

    /** Adds a copy of a chunk, as stored, in a pack of its own: the newest. */
    static void addCopy(Repository repo, ChunkId id, byte[] stored) {
        try (PackWriter w = repo.packs().writer()) {
            w.add(id, stored, stored.length);
            w.flush();
        }
    }

    private FileObjectStore store(String name) {
        try {
            return new FileObjectStore(Files.createDirectories(tmp.resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A full backup of the disk, one chunk at a time. */
    static UUID backup(Repository repo, byte[] disk, String descriptor) {
        UUID uuid = UUID.randomUUID();
        try (BackupWriter w = repo.writer(uuid)) {
            int n = Manifest.Disk.chunkCount(disk.length, CHUNK);
            ChunkIndex ids = ChunkIndex.of(n);
            for (int i = 0; i < n; i++) {
                int len = Math.min(CHUNK, disk.length - i * CHUNK);
                ids.set(i, w.store(Arrays.copyOfRange(disk, i * CHUNK, i * CHUNK + len), len).id());
            }
            Manifest m = new Manifest(uuid, DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda", disk.length, CHUNK, n,
                    w.writeIndex("vda", ids))), descriptor == null ? "<backup/>" : descriptor);
            w.commit(m);
        }
        return uuid;
    }

    static Manifest manifest(UUID uuid, long capacity, String digest) {
        return new Manifest(uuid, DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda", capacity, CHUNK,
                Manifest.Disk.chunkCount(capacity, CHUNK), digest)), "<backup/>");
    }

    static byte[] read(Repository repo, ChunkIndex ids, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < ids.size(); i++) {
            byte[] c = repo.readChunk(ids.get(i));
            System.arraycopy(c, 0, out, i * CHUNK, Math.min(CHUNK, length - i * CHUNK));
        }
        return out;
    }

    static byte[] disk(int chunks, long seed) {
        byte[] d = new byte[chunks * CHUNK];
        new Random(seed).nextBytes(d);
        return d;
    }

    static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
