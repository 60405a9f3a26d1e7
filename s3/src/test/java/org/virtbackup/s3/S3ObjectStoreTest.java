package org.virtbackup.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.repository.ObjectStore;
import org.virtbackup.s3.testing.S3Server;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The S3 object store against a real S3 server (s3proxy on loopback). */
class S3ObjectStoreTest {

    @TempDir
    static Path tmp;
    static S3Server server;
    static S3Endpoint endpoint;
    static S3Client admin;

    @BeforeAll
    static void start() throws Exception {
        server = Configs.server(tmp, "test-objects");
        endpoint = new S3Endpoint(Configs.endpoint(server, "buckets", "test-*"));
        admin = S3Client.builder().endpointOverride(URI.create(server.endpoint())).region(Region.US_EAST_1)
                .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(Configs.ACCESS, Configs.SECRET))).build();
    }

    @AfterAll
    static void stop() throws Exception {
        endpoint.close();
        admin.close();
        server.close();
    }

    private static ObjectStore store(String prefix) {
        return endpoint.open(URI.create("s3://test-objects/" + prefix));
    }

    @Test
    void objectsAreWrittenReadListedAndRemovedUnderThePrefix() throws IOException {
        ObjectStore s = store("repo/a");
        ObjectStore other = store("repo/b");
        byte[] data = bytes(100_000, 1);
        s.put("packs/0a/p1", data);
        s.put("config", "hello".getBytes());
        other.put("config", "other".getBytes());
        assertArrayEquals(data, s.get("packs/0a/p1").orElseThrow());
        assertEquals(OptionalLong.of(100_000), s.size("packs/0a/p1"));
        assertTrue(s.exists("config"));
        assertFalse(s.exists("nothing"));
        assertTrue(s.get("nothing").isEmpty());
        assertEquals(OptionalLong.empty(), s.size("nothing"));
        assertArrayEquals(Arrays.copyOfRange(data, 99_000, 100_000), s.get("packs/0a/p1", 99_000, 5_000).orElseThrow(),
                "a range past the end is cut where the object ends");
        byte[] into = new byte[10];
        assertEquals(10, s.read("packs/0a/p1", 500, into, 10));
        assertArrayEquals(Arrays.copyOfRange(data, 500, 510), into);
        assertEquals(0, s.read("packs/0a/p1", 100_000, into, 10), "nothing at the end");
        assertEquals(-1, s.read("nothing", 0, into, 10));
        assertEquals(List.of("config", "packs/0a/p1"), s.list("").stream().sorted().toList());
        assertEquals(List.of("packs/0a/p1"), s.list("packs/"));
        List<String> seen = new ArrayList<>();
        s.forEach("pa", seen::add);
        assertEquals(List.of("packs/0a/p1"), seen);
        s.delete("packs/0a/p1");
        s.delete("packs/0a/p1"); // nothing happens the second time
        assertFalse(s.exists("packs/0a/p1"));
        assertEquals(List.of("config"), s.list(""));
        assertArrayEquals("other".getBytes(), other.get("config").orElseThrow(), "another prefix is another repository");
    }

    @Test
    void aPackIsAMultipartUploadThatAppearsWholeWhenCommitted() throws IOException {
        ObjectStore s = store("multipart");
        byte[] data = bytes(13 * 1024 * 1024 + 17, 2); // two 5 MiB parts and a last one
        try (ObjectStore.NewObject o = s.create("packs/01/big")) {
            for (int at = 0; at < data.length; at += 1_000_003) {
                o.write(data, at, Math.min(1_000_003, data.length - at));
            }
            assertEquals(data.length, o.size());
            assertFalse(s.exists("packs/01/big"), "not there before it is committed");
            o.commit();
        }
        assertArrayEquals(data, s.get("packs/01/big").orElseThrow());
        assertEquals(0, uploads("multipart/"));
        try (ObjectStore.NewObject o = s.create("packs/01/small")) {
            o.write(data, 0, 1000);
            o.commit();
        }
        assertArrayEquals(Arrays.copyOf(data, 1000), s.get("packs/01/small").orElseThrow(), "smaller than a part: one PUT");
    }

    @Test
    void anUncommittedPackLeavesNothingAndAnUploadADeadHostLeftIsAbortedByAge() throws Exception {
        ObjectStore s = store("abandoned");
        byte[] data = bytes(11 * 1024 * 1024, 3);
        try (ObjectStore.NewObject o = s.create("packs/02/gone")) {
            o.write(data, 0, data.length);
        }
        assertFalse(s.exists("packs/02/gone"));
        assertEquals(0, uploads("abandoned/"), "closed uncommitted: the upload is aborted");
        // What a host that died mid-pack leaves: an upload nobody completes or aborts.
        admin.createMultipartUpload(b -> b.bucket("test-objects").key("abandoned/packs/02/dead"));
        // Someone else's, beside the repository's packs: never ours to abort.
        String foreign = admin.createMultipartUpload(b -> b.bucket("test-objects").key("abandoned/other-app")).uploadId();
        try (ObjectStore.NewObject mine = s.create("packs/02/mine")) {
            mine.write(data, 0, data.length); // under way: its first parts go up
            // s3proxy's file backend answers 500 to an upload listing that meets a part being written
            Thread.sleep(1000);
            assertEquals(0, s.removeTemporaries(3_600_000), "a young upload may be someone's pack being written");
            assertEquals(3, uploads("abandoned/"));
            assertEquals(1, s.removeTemporaries(0), "the dead host's upload goes, this store's own and the foreign one stay");
            assertEquals(2, uploads("abandoned/"));
            mine.commit();
        }
        assertEquals(1, uploads("abandoned/"));
        admin.abortMultipartUpload(b -> b.bucket("test-objects").key("abandoned/other-app").uploadId(foreign));
        assertArrayEquals(data, s.get("packs/02/mine").orElseThrow());
        s.delete("packs/02/mine");
        assertEquals(List.of(), s.list(""));
    }

    @Test
    void anEndpointServesItsBucketsAndURLsCarryNoCredentials() {
        assertTrue(endpoint.serves(URI.create("s3://test-objects/x")));
        assertFalse(endpoint.serves(URI.create("s3://prod-objects/x")));
        assertFalse(endpoint.serves(URI.create("file:///test-objects")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> endpoint.open(URI.create("s3://key:secret@test-objects/x")));
        assertTrue(e.getMessage().contains("carries no credentials"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> endpoint.open(URI.create("s3://test-objects/a/../b")));
        assertThrows(IllegalArgumentException.class, () -> endpoint.open(URI.create("s3://Test_Objects/a")));
        assertTrue(endpoint.describe().contains(server.endpoint()));
        assertFalse(endpoint.describe().contains(Configs.SECRET));
    }

    @Test
    void aWrongSecretIsRefusedByTheServerAndNoMessageShowsIt() throws Exception {
        S3Endpoint wrong = new S3Endpoint(Configs.endpoint(server, ".secret.key", "not-the-secret",
                "attempts", "1"));
        try {
            IOException e = assertThrows(IOException.class,
                    () -> wrong.open(URI.create("s3://test-objects/x")).get("config"));
            assertTrue(e.getMessage().contains("403") || e.getMessage().contains("AccessDenied")
                    || e.getMessage().contains("SignatureDoesNotMatch"), e.getMessage());
            assertFalse(e.getMessage().contains("not-the-secret"));
        } finally {
            wrong.close();
        }
    }

    @Test
    void aSecretFileMustBeTheOwnersOnly() throws Exception {
        Path file = tmp.resolve("secret");
        Files.writeString(file, Configs.SECRET + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3Endpoint(Configs.endpoint(server, ".secret.key", "", ".secret.key.file", file.toString())));
        assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        S3Endpoint fromFile = new S3Endpoint(Configs.endpoint(server, ".secret.key", "", ".secret.key.file", file.toString()));
        try {
            fromFile.open(URI.create("s3://test-objects/secret-file")).put("x", new byte[] { 1 });
            assertArrayEquals(new byte[] { 1 }, store("secret-file").get("x").orElseThrow());
        } finally {
            fromFile.close();
        }
    }

    /**
     * A secret written in the configuration itself is refused while that file (as Karaf's file
     * install names it) is open to others, and accepted once it is the owner's only.
     */
    @Test
    void aSecretInAConfigurationFileOthersCanReadIsRefused() throws Exception {
        Path cfg = tmp.resolve("org.virtbackup.s3-test.cfg");
        Files.writeString(cfg, ".secret.key = " + Configs.SECRET + "\n");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--"));
        S3Endpoint.Source source = org.virtbackup.impl.config.Configurations.of(S3Endpoint.Source.class,
                java.util.Map.of("felix.fileinstall.filename", cfg.toUri().toString()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3Endpoint(Configs.endpoint(server), source));
        assertTrue(e.getMessage().contains(cfg.toString()) && e.getMessage().contains("chmod 600"), e.getMessage());
        assertFalse(e.getMessage().contains(Configs.SECRET), "the message shows no secret");
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        S3Endpoint owners = new S3Endpoint(Configs.endpoint(server), source);
        try {
            owners.open(URI.create("s3://test-objects/inline-secret")).put("x", new byte[] { 2 });
            assertArrayEquals(new byte[] { 2 }, store("inline-secret").get("x").orElseThrow());
        } finally {
            owners.close();
        }
    }

    @Test
    void aPartSizeBeyondWhatAnArrayHoldsIsRefusedNamingTheBounds() {
        for (String mib : new String[] {"4", "2048"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new S3Endpoint(Configs.endpoint(server, "part.size.mib", mib)));
            assertTrue(e.getMessage().contains("part.size.mib is " + mib) && e.getMessage().contains("at most 1024"),
                    e.getMessage());
        }
    }

    private static int uploads(String prefix) {
        return admin.listMultipartUploads(b -> b.bucket("test-objects").prefix(prefix)).uploads().size();
    }

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
