package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
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

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.DiskHistory;
import org.virtbackup.itests.support.FaultFixture;
import org.virtbackup.itests.support.ForkedKaraf;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/**
 * A repository outlives the Karaf that wrote it: a second Karaf, with its own data, pointed at it
 * (repository.url) lists the first one's backups and restores them into a new domain; with
 * another key or none it lists nothing, says why, and a restore writes nothing. And a Karaf
 * killed (SIGKILL) in the middle of a repository backup records it failed at its next start,
 * and a collection takes what it wrote. Both Karafs are the distribution this build made, each
 * in its own JVM, started by the test and killed only by the pid it started.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class RepositoryHostIT {

    private static Path dir;
    private static Path repository;
    private static Path key;
    private static ForkedKaraf first;
    private static Guest guest;
    private static final DiskHistory HISTORY = new DiskHistory(FaultFixture.DISK);
    private static final Map<String, DiskHistory.Moment> MOMENTS = new LinkedHashMap<>();

    @BeforeClass
    public static void start() throws Exception {
        Guest.requireLibvirt();
        dir = Path.of(System.getProperty("virtbackup.itest.dir", "/var/tmp/virt-backup-itest")).resolve("repository-host");
        Cmd.run("rm", "-rf", dir.toString());
        Path shared = Files.createDirectories(dir.resolve("shared"));
        repository = shared.resolve("repository");
        key = shared.resolve("repository.key");
        Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(key, HexFormat.of().formatHex(new SecureRandom().generateSeed(32)));
        guest = Guest.start(Files.createDirectories(dir.resolve("guests")), "repo-host", FaultFixture.DISK);
        first = karaf("first");
        first.start();
    }

    @AfterClass
    public static void stop() throws Exception {
        try {
            if (first != null) {
                first.close();
            }
        } finally {
            if (guest != null) {
                guest.close();
            }
        }
    }

    /** A Karaf of its own (data, ports, runtime directory) backing up into the shared repository with the key. */
    private static ForkedKaraf karaf(String name) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("target.directory", dir.resolve(name + "-data/backups").toString());
        settings.put("runtime.directory", "/run/virt-backup-repo-" + name);
        settings.put("restore.roots", dir.resolve("guests").toString());
        settings.put("target.roots", dir.resolve("shared").toString());
        settings.put("repository.url", "file://" + repository);
        settings.put("repository.key.file", key.toString());
        settings.put("repository.collect.after.delete", "true");
        return ForkedKaraf.unpack(dir.resolve(name), settings);
    }

    @Test
    public void a1TheFirstKarafBacksUpIntoTheRepository() throws Exception {
        HISTORY.write(guest, 0, 0x51, 0, 4 * MiB);
        create("");
        HISTORY.write(guest, 0, 0x52, 2 * MiB, 1 * MiB);
        String incremental = create("--incremental ");
        assertTrue(first.run("backup:info " + incremental).contains("incremental"));
        assertTrue(Files.isRegularFile(repository.resolve("config")));
    }

    @Test
    public void a2AKarafKilledMidBackupRecordsItFailedAndACollectionTakesWhatItWrote() throws Exception {
        try (Guest big = randomGuest("repo-host-big")) {
            List<String> packsBefore = packs();
            Process create = first.runInBackground("backup:create --wait " + big.name());
            first.killWhen("the backup's first pack", Duration.ofMinutes(2), () -> packs().size() > packsBefore.size());
            create.destroyForcibly();
            first.start();
            FaultFixture.awaitThat("the killed backup is recorded failed", () -> first.run("backup:list " + big.name())
                    .contains("failed"));
            String listed = first.run("backup:list " + big.name());
            assertEquals("its checkpoint went with it", List.of(), big.checkpoints());
            first.run("backup:gc");
            assertEquals("a collection takes what the killed backup wrote", List.of(), added(packsBefore));
            String verified = first.run("backup:verify --all");
            assertTrue("and keeps what the others name: " + verified, verified.contains("verified, 0 damaged"));
            String uuid = FaultFixture.uuidsIn(listed).get(0);
            first.run("backup:delete " + uuid);
        }
    }

    @Test
    public void a2bAKarafKilledMidBackupOfAShutOffGuestLeavesNoQemuNbdHoldingItsImage() throws Exception {
        try (Guest big = randomGuest("repo-host-off")) {
            big.shutOff();
            List<String> packsBefore = packs();
            Process create = first.runInBackground("backup:create --wait " + big.name());
            first.killWhen("the backup's first pack", Duration.ofMinutes(2), () -> packs().size() > packsBefore.size());
            create.destroyForcibly();
            assertFalse("the killed JVM's qemu-nbd still serves the image (the case under test)", qemuNbdOf(big).isEmpty());
            first.start();
            FaultFixture.awaitThat("no qemu-nbd holds the image after the start", () -> qemuNbdOf(big).isEmpty());
            big.startIt(); // its image lock is free again
            FaultFixture.awaitThat("the killed backup is recorded failed", () -> first.run("backup:list " + big.name())
                    .contains("failed"));
            first.run("backup:gc");
            assertEquals(List.of(), added(packsBefore));
            first.run("backup:delete " + FaultFixture.uuidsIn(first.run("backup:list " + big.name())).get(0));
        }
    }

    @Test
    public void a4WithCollectAfterDeleteADeletedBackupsOwnChunksGoAtOnce() throws Exception {
        List<String> before = packs();
        HISTORY.write(guest, 0, 0x5e, 40 * MiB, 3 * MiB); // data only this backup will name
        String uuid = FaultFixture.last(first.run("backup:create --wait --full " + guest.name()));
        assertTrue("the backup stored its own chunks, in a pack", packs().size() > before.size());
        first.run("backup:delete " + uuid);
        assertEquals("repository.collect.after.delete took them, no backup:gc", before, packs());
    }

    /** The qemu-nbd processes serving the guest's image. */
    private static List<ProcessHandle> qemuNbdOf(Guest guest) {
        String image = guest.disk(0).toString();
        return ProcessHandle.allProcesses().filter(p -> p.info().command().map(c -> c.endsWith("qemu-nbd")).orElse(false))
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(image)).orElse(false)).toList();
    }

    @Test
    public void a3AnotherKarafListsTheBackupsAndRestoresThemIntoANewDomain() throws Exception {
        ForkedKaraf second = karaf("second");
        try {
            second.start();
            List<String> listed = FaultFixture.uuidsIn(second.run("backup:list " + guest.name()));
            assertEquals(List.copyOf(MOMENTS.keySet()), listed);
            String incremental = listed.get(1);
            String name = "repo-host-restored";
            Path image = dir.resolve("guests").resolve(name + "-vda.qcow2");
            try {
                second.run("backup:restore --new-domain " + name + " --disk vda=" + image + " --verify --start " + incremental);
                assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domstate", name).contains("running"));
                Cmd.ok("virsh", "-c", Guest.URI, "destroy", name);
                Path expected = HISTORY.image(MOMENTS.get(incremental), 0, dir, "expected-incremental.qcow2");
                assertEquals(0, Images.compare(image, expected).exitCode());
            } finally {
                Cmd.run("virsh", "-c", Guest.URI, "destroy", name);
                Cmd.run("virsh", "-c", Guest.URI, "undefine", name);
                Cmd.run("rm", "-f", image.toString());
            }
            second.close();

            // Another key: nothing is listed, the restore says why and writes nothing.
            Path other = dir.resolve("shared/other.key");
            Files.createFile(other, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(other, HexFormat.of().formatHex(new SecureRandom().generateSeed(32)));
            second.configure("repository.key.file", other.toString());
            second.start();
            assertEquals(List.of(), FaultFixture.uuidsIn(second.run("backup:list")));
            Path notWritten = dir.resolve("guests/wrong-key.qcow2");
            String refused = second.runFailing("backup:restore --disk vda=" + notWritten + " " + incremental);
            assertTrue(refused, refused.contains("fingerprint"));
            assertFalse(Files.exists(notWritten));
            second.close();

            // No key: the repository says it is encrypted.
            second.configure("repository.key.file", null);
            second.start();
            assertEquals(List.of(), FaultFixture.uuidsIn(second.run("backup:list")));
            String missing = second.runFailing("backup:restore --disk vda=" + notWritten + " " + incremental);
            assertTrue(missing, missing.contains("encrypted") && missing.contains("no key"));
            assertFalse(Files.exists(notWritten));
        } finally {
            second.close();
        }
    }

    private static String create(String options) {
        DiskHistory.Moment moment = HISTORY.now();
        String uuid = FaultFixture.last(first.run("backup:create --wait " + options + guest.name()));
        MOMENTS.put(uuid, moment);
        return uuid;
    }

    /**
     * A guest of 1 GiB, 768 MiB of it random: it fills packs of 16 MiB (patterns compress into
     * one), so a backup commits some before it ends.
     */
    private static Guest randomGuest(String name) throws Exception {
        // 48 packs: the first 16 are committed while two thirds are still to be read, so a kill at
        // the first committed pack comes mid-backup (with 320 MiB it raced the end once lanes sped it up)
        Path data = Images.randomFile(dir.resolve(name + ".bin"), 768);
        try {
            return Guest.startFilled(dir.resolve("guests"), name, 1024 * MiB, image -> Images.writeFile(image, data, 0));
        } finally {
            Files.deleteIfExists(data);
        }
    }

    /** The packs committed since. */
    private static List<String> added(List<String> before) {
        return packs().stream().filter(p -> !before.contains(p)).toList();
    }

    private static List<String> packs() {
        for (int attempt = 1;; attempt++) {
            try {
                return committedPacks();
            } catch (UncheckedIOException e) {
                // a temporary renamed to its pack's name while the walk read it: walk again
                if (!(e.getCause() instanceof NoSuchFileException) || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    /** Committed packs only: a pack the kill cut short is a temporary, which a collection removes once an hour old. */
    private static List<String> committedPacks() {
        Path packs = repository.resolve("packs");
        if (!Files.isDirectory(packs)) {
            return List.of();
        }
        try (var files = Files.walk(packs)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".tmp-"))
                    .map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
