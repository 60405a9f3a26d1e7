package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.FaultFixture.*;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.DiskHistory;
import org.virtbackup.itests.support.FaultFixture;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Libvirtd;
import org.virtbackup.itests.support.Tmpfs;

/**
 * The fault suite, the host: libvirtd restarted mid-copy and mid-export, a target that cannot
 * hold an incremental or fills up mid-copy (a tmpfs), a qemu-img killed mid-copy. See
 * {@link CreateFaultIT}.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class HostFaultIT {

    private static FaultFixture f;

    @BeforeClass
    public static void start() throws Exception {
        f = FaultFixture.start("faults-host");
    }

    @AfterClass
    public static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    public void libvirtd1RestartedMidCopyTheBackupCompletesWhole() throws Exception {
        try (Guest big = Guest.startWithData(f.guests(), "fault-lvcopy", 3 * GiB, 2 * GiB)) {
            Path domainDir = f.targetRoot.resolve(uuidOf(big.name()));
            Process create = f.karaf.runInBackground("backup:create --wait " + big.name());
            awaitThat("the copy passed 128 MiB", () -> imageBytes(domainDir) > 128 * MiB);
            Libvirtd.restart();
            f.ended(create);
            f.awaitNotRunning(big.name());
            String uuid = single(f.listedOf(big.name()));
            f.assertHoldsItsData(big, f.completedImages(uuid).get("vda"));
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            f.karaf.run("backup:delete " + uuid);
            assertEquals(List.of(), big.checkpoints());
        }
    }

    @Test
    public void libvirtd2RestartedMidExportTheExportServesOnAndEndsCleanly() throws Exception {
        DiskHistory.Moment moment = f.history.now();
        String out = f.karaf.run("backup:export " + f.guest.name());
        String uuid = last(out);
        Map<String, String> uris = new LinkedHashMap<>();
        Matcher m = Pattern.compile("^\\s+(vd[a-z])\\s+(nbd\\S+)", Pattern.MULTILINE).matcher(out);
        while (m.find()) {
            uris.put(m.group(1), m.group(2));
        }
        assertEquals(out, 2, uris.size());
        Libvirtd.restart();
        f.history.write(f.guest, 0, f.next(), 0, 1 * MiB); // after the export's moment: it must not show
        Thread.sleep(5000); // a check of the export by the service (every few seconds) meets the new libvirtd
        assertEquals("still exported after libvirtd's restart", List.of(uuid), uuidsIn(f.karaf.run("backup:list --active "
                + f.guest.name())));
        for (Map.Entry<String, String> disk : uris.entrySet()) {
            int index = disk.getKey().charAt(2) - 'a';
            Path copy = f.expected.resolve("export-" + disk.getKey() + ".qcow2");
            Cmd.ok("qemu-img", "convert", "-f", "raw", "-O", "qcow2", disk.getValue(), copy.toString());
            Path want = f.history.image(moment, index, f.expected, "export-f.expected.qcow2");
            Cmd.Result same = Images.compare(copy, want);
            assertEquals(disk.getKey() + ": " + same.output(), 0, same.exitCode());
            Files.delete(copy);
            Files.delete(want);
        }
        f.karaf.run("backup:finish " + uuid);
        assertTrue(f.karaf.run("backup:info --no-domain " + uuid).contains("<state>completed</state>"));
        f.moments.put(uuid, moment);
        f.assertConsistent();
        f.karaf.run("backup:delete " + uuid); // a leaf: the managed chain goes on from its parent
        f.nextIncrementalIsCorrect();
    }

    /**
     * The service killed mid-copy comes back while libvirtd is down (a host rebooting, libvirtd
     * restarting): its resumption waits for libvirtd instead of failing the backup with its
     * libvirt job left running, then takes the job over. libvirtd is started again only once the
     * service's log says the resumption was put off, so the test shows that path was taken.
     */
    @Test
    public void libvirtd3DownWhenTheServiceRestartsTheJobWaitsForItAndCompletes() throws Exception {
        try (Guest big = Guest.startWithData(f.guests(), "fault-lvdown", 3 * GiB, 2 * GiB)) {
            Path domainDir = f.targetRoot.resolve(uuidOf(big.name()));
            String uuid = last(f.karaf.run("backup:create " + big.name()));
            f.karaf.killWhen("the copy passing 128 MiB", STEP, () -> imageBytes(domainDir) > 128 * MiB);
            Libvirtd.stop();
            String putOff = "Backup " + uuid + " is resumed later";
            CompletableFuture<Boolean> libvirtdBack = CompletableFuture.supplyAsync(() -> {
                try {
                    boolean seen = false;
                    for (int i = 0; i < 900 && !seen; i++) {
                        Thread.sleep(100);
                        seen = Files.exists(f.karaf.log()) && Files.readString(f.karaf.log()).contains(putOff);
                    }
                    Libvirtd.start();
                    return seen;
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            try {
                f.karaf.start();
            } finally {
                assertTrue("the resumption was put off while libvirtd was down (\"" + putOff + "\" in "
                        + f.karaf.log() + ")", libvirtdBack.get(3, TimeUnit.MINUTES));
            }
            f.awaitNotRunning(big.name());
            assertTrue(f.karaf.run("backup:info --no-domain " + uuid).contains("<state>completed</state>"));
            f.assertHoldsItsData(big, f.completedImages(uuid).get("vda"));
            assertTrue("no libvirt job is left", Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            f.karaf.run("backup:delete " + uuid);
            assertEquals(List.of(), big.checkpoints());
        }
    }

    /**
     * An incremental of a shut-off domain is copied by a qemu-storage-daemon, which outlives the
     * JVM killed mid-copy and holds the domain's disk: the next start stops it (by the pid file it
     * wrote), so the domain starts again, and the backup is recorded failed without leaving its
     * bitmap in the disk.
     */
    @Test
    public void offline1AKarafKilledMidOfflineIncrementalLeavesNoStorageDaemonHoldingTheDisk() throws Exception {
        try (Guest big = Guest.startWithData(f.guests(), "fault-offline", 3 * GiB, 2 * GiB)) {
            big.shutOff();
            String full = last(f.karaf.run("backup:create --wait " + big.name()));
            Cmd.ok("qemu-io", "-f", "qcow2", "-c", "write -P 0x6b 0 1536M", big.disk(0).toString()); // dirty, offline
            String bitmapsBefore = bitmaps(big.disk(0));
            String incremental = last(f.karaf.run("backup:create --incremental " + big.name()));
            f.karaf.killWhen("the storage daemon's start", STEP, () -> !storageDaemons().isEmpty());
            assertFalse("the killed JVM's qemu-storage-daemon still runs (the case under test)", storageDaemons().isEmpty());
            f.karaf.start();
            awaitThat("no qemu-storage-daemon left after the start", () -> storageDaemons().isEmpty());
            f.awaitNotRunning(big.name());
            assertTrue(f.karaf.run("backup:info --no-domain " + incremental).contains("<state>failed</state>"));
            assertEquals("the failed incremental's bitmap is gone from the disk", bitmapsBefore, bitmaps(big.disk(0)));
            big.startIt(); // its disk's lock is free again
            f.karaf.run("backup:delete " + incremental);
            f.karaf.run("backup:delete " + full);
        }
    }

    /** The qemu-storage-daemon processes of the fault suite's Karaf (their monitor sockets are in its runtime directory). */
    private static List<ProcessHandle> storageDaemons() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("qemu-storage-daemon")).orElse(false))
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("/run/virt-backup-faults/"))
                        .orElse(false)).toList();
    }

    /** The names of the image's persistent bitmaps, as qemu-img lists them. */
    private static String bitmaps(Path image) throws Exception {
        Matcher m = Pattern.compile("\"name\":\\s*\"([^\"]+)\"").matcher(Cmd.ok("qemu-img", "info", "-U",
                "--output=json", image.toString()));
        List<String> names = new java.util.ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
        }
        return names.stream().sorted().collect(Collectors.joining(","));
    }

    @Test
    public void space1AnIncrementalTheTargetCannotHoldIsRefusedUpFront() throws Exception {
        try (Guest small = Guest.start(f.guests(), "fault-room", 256 * MiB); Tmpfs room = Tmpfs.mount(f.targetRoots().resolve(
                "room"), 96 * MiB)) {
            f.karaf.run("backup:target " + small.name() + " " + room.path());
            small.write(0, 0x31, 0, 16 * MiB);
            String full = last(f.karaf.run("backup:create --wait " + small.name()));
            small.write(0, 0x32, 32 * MiB, 128 * MiB);
            String refused = f.karaf.runFailing("backup:create --wait --incremental " + small.name());
            assertTrue(refused, refused.contains("bytes free") && refused.contains("incremental"));
            assertEquals("nothing recorded", List.of(full), f.listedOf(small.name()));
            try (Stream<Path> dirs = Files.list(room.path().resolve(uuidOf(small.name())))) {
                assertEquals("nothing written", List.of(full), dirs.map(d -> d.getFileName().toString()).toList());
            }
            f.karaf.run("backup:delete " + full);
            f.karaf.run("backup:target --clear " + small.name());
        }
    }

    @Test
    public void space2ATargetFillingMidCopyFailsTheBackupWithNoSpaceAndRemovesIt() throws Exception {
        try (Guest big = Guest.startWithData(f.guests(), "fault-full", 3 * GiB, 2 * GiB);
                Tmpfs room = Tmpfs.mount(f.targetRoots().resolve("full"), 2560 * MiB)) {
            f.karaf.run("backup:target " + big.name() + " " + room.path());
            Path domainDir = room.path().resolve(uuidOf(big.name()));
            Process create = f.karaf.runInBackground("backup:create --wait " + big.name());
            awaitThat("the copy passed 64 MiB", () -> imageBytes(domainDir) > 64 * MiB);
            Path filler = room.fill(); // another writer takes the space the copy was counting on
            f.ended(create);
            f.awaitNotRunning(big.name());
            String failed = single(f.listedOf(big.name()));
            String info = f.karaf.run("backup:info --no-domain " + failed);
            assertTrue(info, info.contains("<state>failed</state>") && info.contains("NO_SPACE"));
            for (Path image : targets(info).values()) {
                assertFalse("what it wrote is removed: " + image, Files.exists(image));
            }
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            assertEquals("its checkpoint is gone", List.of(), big.checkpoints());
            f.karaf.run("backup:delete " + failed);

            // Room again: the next backup is whole.
            Files.delete(filler);
            String next = last(f.karaf.run("backup:create --wait " + big.name()));
            f.assertHoldsItsData(big, f.completedImages(next).get("vda"));
            f.karaf.run("backup:delete " + next);
            f.karaf.run("backup:target --clear " + big.name());
        }
    }

    @Test
    public void tool1AQemuImgCrashMidCopyFailsTheBackupAndLeavesNothing() throws Exception {
        try (Guest big = Guest.startWithData(f.guests(), "fault-crash", 3 * GiB, 2 * GiB)) {
            Files.writeString(f.dir.resolve(CRASH_CONVERT), "");
            String out;
            try {
                out = f.karaf.runFailing("backup:create --wait " + big.name());
            } finally {
                Files.delete(f.dir.resolve(CRASH_CONVERT));
            }
            String failed = single(f.listedOf(big.name()));
            String info = f.karaf.run("backup:info --no-domain " + failed);
            assertTrue(out + info, info.contains("<state>failed</state>"));
            for (Path image : targets(info).values()) {
                assertFalse("what it wrote is removed: " + image, Files.exists(image));
            }
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            assertEquals(List.of(), big.checkpoints());
            f.karaf.run("backup:delete " + failed);
            String next = last(f.karaf.run("backup:create --wait " + big.name()));
            f.assertHoldsItsData(big, f.completedImages(next).get("vda"));
            f.karaf.run("backup:delete " + next);
        }
    }
}
