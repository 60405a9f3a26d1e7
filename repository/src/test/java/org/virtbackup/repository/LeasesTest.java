package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes sharing a repository, as two {@link Repository} instances over one directory
 * (each instance is a process to the other): their leases keep a collection and the backups
 * being written apart; a dead process's lease blocks others one lease time at most.
 */
class LeasesTest {

    static final Sharing QUICK = new Sharing(Duration.ofSeconds(4), Duration.ofSeconds(20));
    static final Sharing IMPATIENT = new Sharing(Duration.ofSeconds(4), Duration.ofMillis(500));

    @TempDir
    Path tmp;

    @Test
    void aCollectionWaitsForAnotherProcesssBackupAndThenKeepsWhatItNamed() throws Exception {
        FileObjectStore store = new FileObjectStore(tmp);
        Repository first = Repository.create(store, RepositoryTest.CHUNK, null, QUICK);
        Repository second = Repository.open(new FileObjectStore(tmp), null, IMPATIENT);
        byte[] disk = RepositoryTest.disk(4, 5);
        UUID old = RepositoryTest.backup(first, disk, null);
        first.delete(old); // its chunks are garbage now, which the backup below names again
        UUID running = UUID.randomUUID();
        BackupWriter w = first.writer(running);
        ChunkIndex ids = ChunkIndex.of(4);
        for (int i = 0; i < 4; i++) {
            ids.set(i, w.store(Arrays.copyOfRange(disk, i * RepositoryTest.CHUNK, (i + 1) * RepositoryTest.CHUNK),
                    RepositoryTest.CHUNK).id()); // found stored: reused, not stored again
        }
        assertEquals(0, w.storedBytes());
        RepositoryException busy = assertThrows(RepositoryException.class, () -> new GarbageCollector(second).collect());
        assertEquals(RepositoryException.Problem.BUSY, busy.problem());
        assertTrue(busy.getMessage().contains("write lease") && busy.getMessage().contains("backup " + running),
                busy.getMessage());

        Repository patient = Repository.open(new FileObjectStore(tmp), null, QUICK);
        CompletableFuture<GarbageCollector.Report> collection = CompletableFuture.supplyAsync(
                () -> new GarbageCollector(patient).collect());
        Thread.sleep(1500);
        assertFalse(collection.isDone(), "the collection waits while the backup is written");
        w.commit(new Manifest(running, RepositoryTest.DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda",
                disk.length, RepositoryTest.CHUNK, 4, w.writeIndex("vda", ids))), "<backup/>"));
        w.close();
        GarbageCollector.Report r = collection.get(20, TimeUnit.SECONDS);
        assertEquals(0, r.chunksRemoved(), "the chunks the backup named stay");
        Manifest m = patient.manifest(running).orElseThrow();
        assertEquals(disk.length, RepositoryTest.read(patient, patient.index(m, m.disk("vda")), disk.length).length);
        assertTrue(Arrays.equals(disk, RepositoryTest.read(patient, patient.index(m, m.disk("vda")), disk.length)));
        assertEquals(List.of(), store.list(Leases.PREFIX), "no lease stays");
    }

    @Test
    void aBackupWaitsForAnotherProcesssCollection() throws Exception {
        Repository first = Repository.create(new FileObjectStore(tmp), RepositoryTest.CHUNK, null, IMPATIENT);
        Repository second = Repository.open(new FileObjectStore(tmp), null, QUICK);
        try (Lease collecting = second.leases().collect("a collection")) {
            RepositoryException busy = assertThrows(RepositoryException.class, () -> first.writer(UUID.randomUUID()));
            assertTrue(busy.getMessage().contains("collect lease"), busy.getMessage());
        }
        try (BackupWriter w = first.writer(UUID.randomUUID())) {
            assertEquals(1, first.store().list(Leases.PREFIX).size());
        }
    }

    @Test
    void aDeadHostsLeaseBlocksOneLeaseTimeAndAKilledProcessOfThisHostNone() throws Exception {
        FileObjectStore store = new FileObjectStore(tmp);
        Repository repo = Repository.create(store, RepositoryTest.CHUNK, null, QUICK);
        lease(repo, "locks/write-elsewhere", "host=another-host/boot\npid=1\nstarted=0\npurpose=backup of a dead host");
        long t0 = System.nanoTime();
        new GarbageCollector(repo).collect();
        long waited = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waited >= 2500 && waited < 15_000, "waited for the lease time (4 s, to the file system's clock): " + waited);
        assertFalse(store.exists("locks/write-elsewhere"), "the dead lease is removed");

        // alive until its start time is read (the kernel forgets it on exit), then ended by us
        Process gone = new ProcessBuilder("sleep", "60").start();
        long started = gone.info().startInstant().orElseThrow().toEpochMilli();
        gone.destroy();
        gone.waitFor();
        lease(repo, "locks/write-killed", "host=" + Leases.thisHost() + "\npid=" + gone.pid() + "\nstarted=" + started
                + "\npurpose=backup of a killed Karaf");
        t0 = System.nanoTime();
        new GarbageCollector(repo).collect();
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 2000, "a process of this host that is gone blocks nobody");
        assertFalse(store.exists("locks/write-killed"));
    }

    @Test
    void aBackupWhoseLeaseWasTakenForDeadIsNotCommitted() throws Exception {
        FileObjectStore store = new FileObjectStore(tmp);
        Repository repo = Repository.create(store, RepositoryTest.CHUNK, null, QUICK);
        UUID b = UUID.randomUUID();
        try (BackupWriter w = repo.writer(b)) {
            String lease = store.list(Leases.PREFIX).get(0);
            store.delete(lease); // what another process does to a lease it found expired
            Thread.sleep(1500); // a refresh (every second) finds it gone
            ChunkIndex ids = ChunkIndex.of(1);
            ids.set(0, w.store(RepositoryTest.disk(1, 6), RepositoryTest.CHUNK).id());
            Manifest m = new Manifest(b, RepositoryTest.DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda",
                    RepositoryTest.CHUNK, RepositoryTest.CHUNK, 1, w.writeIndex("vda", ids))), "<backup/>");
            RepositoryException e = assertThrows(RepositoryException.class, () -> w.commit(m));
            assertEquals(RepositoryException.Problem.BUSY, e.problem());
            assertTrue(e.getMessage().contains("lease lapsed"), e.getMessage());
        }
        assertTrue(repo.manifest(b).isEmpty());
    }

    /**
     * A refresh that stalls between its look at the lease and its write (here 2.5 s, more than
     * half of a 4 s lease) may have been taken for dead meanwhile, and its write revived it: the
     * backup must not count on it, though the lease was written a moment ago.
     */
    @Test
    void aRefreshThatStalledBeforeItsWriteLosesTheLease() throws Exception {
        AtomicBoolean stall = new AtomicBoolean();
        ObjectStore slow = new ForwardingStore(new FileObjectStore(tmp)) {
            @Override
            public boolean exists(String name) throws IOException {
                if (stall.get() && name.startsWith(Leases.PREFIX)) {
                    try {
                        Thread.sleep(2500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.exists(name);
            }
        };
        Repository repo = Repository.create(slow, RepositoryTest.CHUNK, null, QUICK);
        UUID b = UUID.randomUUID();
        try (BackupWriter w = repo.writer(b)) {
            stall.set(true);
            Thread.sleep(4000); // the refresh at 1 s looks, stalls, and writes at 3.5 s
            stall.set(false);
            ChunkIndex ids = ChunkIndex.of(1);
            ids.set(0, w.store(RepositoryTest.disk(1, 7), RepositoryTest.CHUNK).id());
            Manifest m = new Manifest(b, RepositoryTest.DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda",
                    RepositoryTest.CHUNK, RepositoryTest.CHUNK, 1, w.writeIndex("vda", ids))), "<backup/>");
            RepositoryException e = assertThrows(RepositoryException.class, () -> w.commit(m));
            assertEquals(RepositoryException.Problem.BUSY, e.problem());
            assertTrue(e.getMessage().contains("stalled"), e.getMessage());
        }
        assertTrue(repo.manifest(b).isEmpty());
    }

    /**
     * Hosts need not agree on the lease time: a lease is judged by the longer of its holder's
     * (written in it) and the reader's. Here a host with a 4 s lease time meets a 5 s old lease
     * of a host whose time is 30 s: it is live, and the collection waits for it.
     */
    @Test
    void aLeaseIsJudgedByItsHoldersLeaseTimeWhenThatIsLonger() throws Exception {
        FileObjectStore store = new FileObjectStore(tmp);
        Repository repo = Repository.create(store, RepositoryTest.CHUNK, null, IMPATIENT);
        lease(repo, "locks/write-elsewhere", "host=another-host/boot\npid=1\nstarted=0\nlease=30000\n"
                + "purpose=backup of a host whose lease time is 30 s");
        Thread.sleep(5000);
        RepositoryException busy = assertThrows(RepositoryException.class, () -> new GarbageCollector(repo).collect());
        assertEquals(RepositoryException.Problem.BUSY, busy.problem());
        assertTrue(store.exists("locks/write-elsewhere"), "the other host's lease stays");

        try (Lease ours = repo.leases().write("a backup")) {
            String fields = new String(repo.objects().read(Envelope.TYPE_LOCK, ours.name(), 64 << 10), StandardCharsets.UTF_8);
            assertTrue(fields.contains("\nlease=4000\n"), "ours says how long it lives: " + fields);
        }
        lease(repo, "locks/write-older", "host=another-host/boot\npid=1\nstarted=0\npurpose=a version without the field");
        Thread.sleep(4500);
        store.delete("locks/write-elsewhere");
        new GarbageCollector(repo).collect(); // a lease without the field is judged by our time
        assertFalse(store.exists("locks/write-older"));
    }

    /** A store that cannot say when a lease was written lets none expire: another host's backup still blocks. */
    @Test
    void aStoreWithoutModificationTimesKeepsEveryLeaseLive() throws Exception {
        ObjectStore timeless = new ForwardingStore(new FileObjectStore(tmp)) {
            @Override
            public Optional<Instant> modified(String name) {
                return Optional.empty();
            }
        };
        Repository repo = Repository.create(timeless, RepositoryTest.CHUNK, null, IMPATIENT);
        lease(repo, "locks/write-elsewhere", "host=another-host/boot\npid=1\nstarted=0\npurpose=backup elsewhere");
        RepositoryException busy = assertThrows(RepositoryException.class, () -> new GarbageCollector(repo).collect());
        assertEquals(RepositoryException.Problem.BUSY, busy.problem());
        assertTrue(busy.getMessage().contains("at a time the store does not tell"), busy.getMessage());
        assertTrue(repo.store().exists("locks/write-elsewhere"));
    }

    /**
     * The manifest's write may outlast the lease (here it stalls 2.5 s of a 4 s lease while the
     * lease cannot be rewritten): another host may have collected the chunks it names meanwhile,
     * so the backup fails and its manifest is removed again.
     */
    @Test
    void aManifestWhoseWriteOutlastedTheLeaseIsRemovedAndTheBackupFails() throws Exception {
        AtomicBoolean stall = new AtomicBoolean();
        ObjectStore stalling = new ForwardingStore(new FileObjectStore(tmp)) {
            @Override
            public void put(String name, byte[] data) throws IOException {
                if (stall.get() && name.startsWith("manifests/")) {
                    try {
                        Thread.sleep(2500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                super.put(name, data);
            }

            @Override
            public boolean exists(String name) throws IOException {
                if (stall.get() && name.startsWith(Leases.PREFIX)) {
                    throw new IOException("the store does not answer");
                }
                return super.exists(name);
            }
        };
        Repository repo = Repository.create(stalling, RepositoryTest.CHUNK, null, QUICK);
        UUID b = UUID.randomUUID();
        try (BackupWriter w = repo.writer(b)) {
            ChunkIndex ids = ChunkIndex.of(1);
            ids.set(0, w.store(RepositoryTest.disk(1, 8), RepositoryTest.CHUNK).id());
            Manifest m = new Manifest(b, RepositoryTest.DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda",
                    RepositoryTest.CHUNK, RepositoryTest.CHUNK, 1, w.writeIndex("vda", ids))), "<backup/>");
            stall.set(true);
            RepositoryException e = assertThrows(RepositoryException.class, () -> w.commit(m));
            stall.set(false);
            assertEquals(RepositoryException.Problem.BUSY, e.problem());
            assertFalse(w.committed());
        }
        assertTrue(repo.manifest(b).isEmpty(), "the manifest is removed again");
    }

    private static void lease(Repository repo, String name, String fields) {
        byte[] content = ("process=" + UUID.randomUUID() + "\n" + fields + "\n").getBytes(StandardCharsets.UTF_8);
        repo.objects().put(Envelope.TYPE_LOCK, name, content, content.length);
    }

}
