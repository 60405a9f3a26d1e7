package org.virtbackup.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.GarbageCollector;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.ObjectStore;
import org.virtbackup.s3.testing.S3Server;
import org.virtbackup.repository.Repository;
import org.virtbackup.repository.RepositoryKey;
import org.virtbackup.s3.testing.S3Server;


/** The repository format on S3: what one process writes another reads, and a collection reclaims. */
class RepositoryOnS3Test {

    static final int CHUNK = 1 << 20;

    @TempDir
    static Path tmp;
    static S3Server server;
    static S3Endpoint endpoint;

    @BeforeAll
    static void start() throws Exception {
        server = Configs.server(tmp, "backups");
        endpoint = new S3Endpoint(Configs.endpoint(server));
    }

    @AfterAll
    static void stop() throws Exception {
        endpoint.close();
        server.close();
    }

    @Test
    void anEncryptedBackupOnS3IsReadByAnotherProcessAndCollectedWhenDeleted() throws IOException {
        RepositoryKey key = RepositoryKey.generate(tmp.resolve("key"));
        URI url = URI.create("s3://backups/fleet/repo");
        Repository writer = Repository.create(endpoint.open(url), CHUNK, key);
        byte[] disk = S3ObjectStoreTest.bytes(40 * CHUNK, 4); // 40 MiB: packs of 16 MiB, uploaded in 5 MiB parts
        Arrays.fill(disk, 10 * CHUNK, 12 * CHUNK, (byte) 0);
        UUID backup = UUID.randomUUID();
        try (BackupWriter w = writer.writer(backup)) {
            ChunkIndex ids = ChunkIndex.of(40);
            for (int i = 0; i < 40; i++) {
                ids.set(i, w.store(Arrays.copyOfRange(disk, i * CHUNK, (i + 1) * CHUNK), CHUNK).id());
            }
            w.commit(new Manifest(backup, UUID.randomUUID(), Instant.now(),
                    List.of(new Manifest.Disk("vda", disk.length, CHUNK, 40, w.writeIndex("vda", ids))), "<backup/>"));
            assertTrue(w.storedBytes() >= 38L * CHUNK && w.storedBytes() < 39L * CHUNK,
                    "38 chunks stored, sealed; the zero chunks are named, not stored: " + w.storedBytes());
        }
        ObjectStore objects = endpoint.open(url);
        assertTrue(objects.list("packs/").size() >= 3, "packs of about 16 MiB: " + objects.list("packs/"));

        // Another process (a second host) opens the same bucket and prefix with the key.
        Repository reader = Repository.open(endpoint.open(url), RepositoryKey.read(tmp.resolve("key")));
        Manifest m = reader.manifest(backup).orElseThrow();
        ChunkIndex ids = reader.index(m, m.disk("vda"));
        byte[] read = new byte[disk.length];
        for (int i = 0; i < 40; i++) {
            System.arraycopy(reader.readChunk(ids.get(i)), 0, read, i * CHUNK, CHUNK);
        }
        assertArrayEquals(disk, read);
        for (String name : objects.list("")) {
            byte[] stored = objects.get(name).orElseThrow();
            assertFalse(contains(stored, Arrays.copyOfRange(disk, 0, 4096)), name + " holds guest data in the clear");
        }

        reader.delete(backup);
        GarbageCollector.Report r = new GarbageCollector(reader).collect();
        assertEquals(38, r.chunksRemoved());
        assertEquals(List.of(), objects.list("packs/"));
        assertEquals(List.of(), objects.list("manifests/"));
    }

    private static boolean contains(byte[] hay, byte[] needle) {
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
}
