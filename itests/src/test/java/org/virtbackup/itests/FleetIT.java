package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.FaultFixture;
import org.virtbackup.itests.support.ForkedKaraf;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.s3.testing.S3Server;

/**
 * A fleet on one machine: two Karafs of the distribution, each with its own data and ports,
 * sharing one libvirtd and one encrypted repository on a real S3 server (s3proxy on loopback).
 * Each lists and restores the other's backups, they dedupe against each other and back up at
 * the same time, a collection on one waits for the other's backup, and a host killed mid-backup
 * blocks nobody and leaves what a collection takes.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class FleetIT {

    private static final String BUCKET = "fleet";
    private static final String URL = "s3://" + BUCKET + "/shared";
    private static final Pattern STORED = Pattern.compile("bytes\\.stored\\s*\\|\\s*(\\d+)");

    private static Path dir;
    private static S3Server s3;
    private static String secret;
    private static Path key;
    private static Guest one;
    private static Guest two;
    private static Path expectedOne;
    private static Path expectedTwo;
    private static ForkedKaraf first;
    private static ForkedKaraf second;

    @BeforeClass
    public static void start() throws Exception {
        Guest.requireLibvirt();
        dir = Path.of(System.getProperty("virtbackup.itest.dir", "/var/tmp/virt-backup-itest")).resolve("fleet");
        Cmd.run("rm", "-rf", dir.toString());
        Files.createDirectories(dir);
        secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        s3 = S3Server.start(Files.createDirectories(dir.resolve("s3")), S3Server.freePort(), "fleet", secret, BUCKET);
        key = dir.resolve("repository.key");
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, HexFormat.of().formatHex(new SecureRandom().generateSeed(32)));
        // Two guests cloned from one template: 48 MiB of random data alike, then 4 MiB of their own.
        Path template = Images.randomFile(dir.resolve("template.bin"), 48);
        Path guests = Files.createDirectories(dir.resolve("guests"));
        one = Guest.startFilled(guests, "fleet-one", 128 * MiB, image -> {
            Images.writeFile(image, template, 0);
            Images.writeFile(image, Images.randomFile(dir.resolve("one.bin"), 4), 64 * MiB);
        });
        two = Guest.startFilled(guests, "fleet-two", 128 * MiB, image -> {
            Images.writeFile(image, template, 0);
            Images.writeFile(image, Images.randomFile(dir.resolve("two.bin"), 4), 64 * MiB);
        });
        expectedOne = Files.copy(one.disk(0), dir.resolve("expected-one.qcow2")); // the guests write nothing
        expectedTwo = Files.copy(two.disk(0), dir.resolve("expected-two.qcow2"));
        first = karaf("first");
        second = karaf("second");
        first.start();
        second.start();
    }

    @AfterClass
    public static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {first, second, one, two, s3}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the others are still closed
            }
        }
    }

    /** A Karaf of the distribution of its own, its repository the shared bucket, through an endpoint configured for it. */
    private static ForkedKaraf karaf(String name) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("target.directory", dir.resolve(name + "-data/backups").toString());
        settings.put("runtime.directory", "/run/virt-backup-fleet-" + name);
        settings.put("restore.roots", dir.resolve("guests").toString());
        settings.put("repository.url", URL);
        settings.put("repository.key.file", key.toString());
        settings.put("repository.lease.seconds", "8");
        settings.put("repository.refresh.seconds", "5");
        settings.put("repository.wait.seconds", "10");
        ForkedKaraf k = ForkedKaraf.unpack(dir.resolve(name), settings);
        Path cfg = k.home().resolve("etc/org.virtbackup.s3-fleet.cfg");
        Files.writeString(cfg, String.join("\n", "name = fleet", "endpoint = " + s3.endpoint(), "buckets = " + BUCKET,
                ".access.key = fleet", ".secret.key = " + secret, "part.size.mib = 5", ""));
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-------"));
        return k;
    }

    @Test
    public void a1EachHostBacksUpAndTheSecondStoresOnlyWhatTheFirstHasNot() throws Exception {
        String a = FaultFixture.last(first.run("backup:create --wait " + one.name()));
        String b = FaultFixture.last(second.run("backup:create --wait " + two.name()));
        long storedA = stored(first.run("backup:params " + a));
        long storedB = stored(second.run("backup:params " + b));
        assertTrue("the first stores the template and its own data: " + storedA, storedA > 50 * MiB);
        assertTrue("the second finds the template stored by the first: " + storedB, storedB < 6 * MiB);
    }

    @Test
    public void a2EachListsTheOthersBackupsPeriodicallyOrOnDemandAndRestoresThem() throws Exception {
        FaultFixture.awaitThat("the second lists the first's backup (refresh every 5 s)",
                () -> FaultFixture.uuidsIn(second.run("backup:list " + one.name())).size() == 1);
        String refreshed = first.run("backup:refresh");
        assertTrue(refreshed, refreshed.contains(URL));
        String fromSecond = FaultFixture.uuidsIn(first.run("backup:list " + two.name())).get(0);
        String fromFirst = FaultFixture.uuidsIn(second.run("backup:list " + one.name())).get(0);

        Path image = dir.resolve("guests/fleet-restored-vda.qcow2");
        String name = "fleet-restored";
        try {
            second.run("backup:restore --new-domain " + name + " --disk vda=" + image + " --verify " + fromFirst);
            assertEquals("the second host restores the first's backup as it was",
                    0, Images.compare(image, expectedOne).exitCode());
        } finally {
            Cmd.run("virsh", "-c", Guest.URI, "undefine", name);
            Cmd.run("rm", "-f", image.toString());
        }
        Path other = dir.resolve("guests/from-second.qcow2");
        first.run("backup:restore --disk vda=" + other + " --verify " + fromSecond);
        assertEquals(0, Images.compare(other, expectedTwo).exitCode());
        Files.delete(other);
    }

    @Test
    public void a3BothBackUpAtOnceAndEachBackupRestoresWhole() throws Exception {
        Process a = first.runInBackground("backup:create --wait --full " + one.name());
        Process b = second.runInBackground("backup:create --wait --full " + two.name());
        assertTrue(a.waitFor(5, TimeUnit.MINUTES) && b.waitFor(5, TimeUnit.MINUTES));
        second.run("backup:refresh");
        List<String> ofOne = FaultFixture.uuidsIn(second.run("backup:list " + one.name()));
        List<String> ofTwo = FaultFixture.uuidsIn(second.run("backup:list " + two.name()));
        assertEquals(2, ofOne.size());
        assertEquals(2, ofTwo.size());
        for (String uuid : List.of(ofOne.get(1), ofTwo.get(1))) {
            String verified = second.run("backup:verify " + uuid);
            assertTrue(verified, verified.contains(uuid + ": whole"));
        }
        Path out = dir.resolve("guests/concurrent-one.qcow2");
        second.run("backup:restore --disk vda=" + out + " " + ofOne.get(1));
        assertEquals(0, Images.compare(out, expectedOne).exitCode());
        Files.delete(out);
    }

    @Test
    public void a4ACollectionOnOneHostDuringTheOthersBackupKeepsWhatTheBackupNames() throws Exception {
        try (Guest big = randomGuest("fleet-big")) {
            Path expected = Files.copy(big.disk(0), dir.resolve("expected-big.qcow2"));
            List<String> before = packs();
            Process create = first.runInBackground("backup:create --wait " + big.name());
            FaultFixture.awaitThat("the first host's backup commits a pack", () -> packs().size() > before.size());
            second.attempt("backup:gc"); // waits for the backup, or gives up after repository.wait.seconds: either way
            assertTrue(create.waitFor(5, TimeUnit.MINUTES));
            String uuid = FaultFixture.uuidsIn(first.run("backup:list " + big.name())).get(0);
            second.run("backup:gc");
            second.run("backup:refresh");
            Path out = dir.resolve("guests/big-restored.qcow2");
            second.run("backup:restore --disk vda=" + out + " --verify " + uuid);
            assertEquals("the backup restores whole after collections on the other host", 0,
                    Images.compare(out, expected).exitCode());
            Files.delete(out);
            first.run("backup:delete " + uuid);
        }
    }

    @Test
    public void a5ACollectionWaitsForALiveBackupOfAnotherHostAndNotForAKilledOne() throws Exception {
        try (Guest big = randomGuest("fleet-killed")) {
            second.run("backup:gc");
            List<String> before = packs();
            first.arm("create.before-completed"); // the backup's data is stored, its manifest not yet written
            Process create = first.runInBackground("backup:create --wait " + big.name());
            first.awaitReached("create.before-completed", Duration.ofMinutes(2));
            List<String> written = packs();
            assertTrue("the backup stored packs", written.size() > before.size());
            String busy = second.runFailing("backup:gc");
            assertTrue("the collection gave up after repository.wait.seconds, naming the other host's backup: " + busy,
                    busy.contains("write lease") && busy.contains("backup "));
            assertEquals("and removed nothing", written, packs());
            first.kill();
            create.destroyForcibly();
            long t0 = System.nanoTime();
            second.run("backup:gc");
            assertTrue("a killed process of this host holds no lease", System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos());
            assertEquals("what the killed host wrote is collected", before, packs());
            first.start();
        }
    }

    private static long stored(String params) {
        Matcher m = STORED.matcher(params);
        assertTrue(params, m.find());
        return Long.parseLong(m.group(1));
    }

    /** A guest of 512 MiB, 320 of them random: a backup of it commits packs long before it ends. */
    private static Guest randomGuest(String name) throws Exception {
        Path data = Images.randomFile(dir.resolve(name + ".bin"), 320);
        try {
            return Guest.startFilled(dir.resolve("guests"), name, 512 * MiB, image -> Images.writeFile(image, data, 0));
        } finally {
            Files.deleteIfExists(data);
        }
    }

    /** The repository's committed packs, as files of the S3 server's backend. */
    private static List<String> packs() {
        try (var files = Files.walk(s3.bucket(BUCKET).resolve("shared/packs"))) {
            return files.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
