package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.virtbackup.itests.support.ForkedKaraf;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Libvirtd;
import org.virtbackup.itests.support.Tmpfs;

/**
 * The fault suite: our distribution runs as its own JVM, and is killed with SIGKILL at each step
 * of a create, a merge, a delete and an in-place restore (the service pauses at a named fault
 * point, then the test kills it by the pid it started), then started again on the same data.
 * After each kill, the restarted service must have made the world whole again:
 * <ul>
 * <li>every backup listed reads exactly as the guest's disks at its moment ({@code qemu-img compare}
 * against images built offline from the writes made before it);</li>
 * <li>nothing unlisted remains: no backup directory, temporary, moved-aside disk, socket, libvirt
 * job or {@code vb-*} checkpoint that no listed backup owns;</li>
 * <li>the next incremental backup is correct.</li>
 * </ul>
 * Not a Pax Exam test: Pax Exam's container cannot be killed and restarted on the same data by
 * its own test. The cases share one Karaf and one guest, and run in the order of their names, each
 * on what the previous ones left: a later case also proves the earlier recoveries left a tree
 * that can be backed up, merged and restored again.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class FaultIT {

    private static final long DISK = 64 * MiB;
    /** While this file is in the suite's directory, its qemu-img wrapper kills each convert it runs midway. */
    private static final String CRASH_CONVERT = "crash-convert";
    private static final Duration STEP = Duration.ofMinutes(2);
    private static final Pattern UUID = Pattern.compile("\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");
    private static final Pattern PARENT = Pattern.compile("<parent>\\s*<uuid>([^<]+)</uuid>");
    private static final Pattern DISK_TARGET = Pattern.compile("<disk name=\"([^\"]+)\"[^>]*>\\s*<target file=\"([^\"]+)\"");

    private static Path dir;
    private static Path targetRoot;
    private static Path expected;
    private static ForkedKaraf karaf;
    private static Guest guest;
    private static DiskHistory history;
    /** The moment each backup created here holds. */
    private static final Map<String, DiskHistory.Moment> moments = new HashMap<>();
    private static int pattern = 0x10;
    private static int expectedImages;

    @BeforeClass
    public static void startKarafAndGuest() throws Exception {
        Guest.requireLibvirt();
        Path itest = Path.of(System.getProperty("virtbackup.itest.dir", "/var/tmp/virt-backup-itest"));
        dir = itest.resolve("faults");
        Tmpfs.unmountUnder(dir);
        targetRoot = dir.resolve("backups");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("target.directory", targetRoot.toString());
        settings.put("runtime.directory", "/run/virt-backup-faults");
        settings.put("restore.roots", itest.resolve("fault-guests").toString());
        settings.put("target.roots", dir.resolve("targets").toString());
        settings.put("qemu.img", dir.resolve("qemu-img").toString());
        karaf = ForkedKaraf.unpack(dir, settings);
        Files.createDirectories(targets());
        qemuImgWrapper(dir.resolve("qemu-img"));
        expected = Files.createDirectories(dir.resolve("expected"));
        guest = Guest.start(Files.createDirectories(itest.resolve("fault-guests")), "fault", DISK, DISK);
        history = new DiskHistory(DISK, DISK);
        karaf.start();
        history.write(guest, 0, next(), 0, 4 * MiB);
        history.write(guest, 1, next(), 8 * MiB, 4 * MiB);
        String full = create("");
        assertConsistent();
        assertEquals(List.of(full), listed());
    }

    /**
     * qemu-img, unless {@value #CRASH_CONVERT} is there: then a convert is started and killed
     * midway with SIGKILL (by the wrapper, which started it), as a crash of qemu-img would end it.
     */
    private static void qemuImgWrapper(Path wrapper) throws IOException {
        Files.writeString(wrapper, "#!/bin/sh\n"
                + "if [ \"$1\" = convert ] && [ -e '" + dir.resolve(CRASH_CONVERT) + "' ]; then\n"
                + "    qemu-img \"$@\" & pid=$!\n"
                + "    sleep 0.3; kill -KILL $pid; wait $pid; exit $?\n"
                + "fi\n"
                + "exec qemu-img \"$@\"\n");
        Cmd.ok("chmod", "0755", wrapper.toString());
    }

    @AfterClass
    public static void stop() throws Exception {
        if (karaf != null) {
            karaf.close();
        }
        if (guest != null) {
            guest.close();
        }
    }

    // ------------------------------------------------------------------------------ create

    @Test
    public void create1KilledBeforeItsDescriptorLeavesNothing() throws Exception {
        List<String> before = listed();
        killedCreate("create.before-descriptor", "--incremental");
        assertEquals("nothing recorded", before, listed());
        assertConsistent();
        nextIncrementalIsCorrect();
    }

    @Test
    public void create2KilledBeforeItsJobStartsIsRecordedFailedWithNothingLeft() throws Exception {
        killedCreateFails("create.before-job", "--incremental");
    }

    @Test
    public void create3KilledAfterAPushJobStartedButBeforeItsJournalIsAbortedInLibvirt() throws Exception {
        killedCreateFails("create.before-journal", "--incremental");
    }

    @Test
    public void create4KilledAfterAPullJobStartedButBeforeItsJournalIsAbortedInLibvirt() throws Exception {
        killedCreateFails("create.before-journal", "--full");
    }

    @Test
    public void create5KilledAfterAPushJobsJournalIsResumedAndCompletes() throws Exception {
        killedCreateCompletes("create.after-journal", "--incremental");
    }

    @Test
    public void create6KilledAfterAPullJobsJournalIsResumedAndCompletes() throws Exception {
        killedCreateCompletes("create.after-journal", "--full");
    }

    @Test
    public void create7KilledAfterItsCopyButBeforeItsRecordCompletes() throws Exception {
        killedCreateCompletes("create.before-completed", "--incremental");
    }

    @Test
    public void create8KilledMidCopyIsResumedAndCompletes() throws Exception {
        try (Guest big = Guest.startWithData(guests(), "fault-copy", 3 * GiB, 2 * GiB)) {
            String domainUuid = Cmd.ok("virsh", "-c", Guest.URI, "domuuid", big.name()).strip();
            Path domainDir = targetRoot.resolve(domainUuid);
            Process create = karaf.runInBackground("backup:create --wait " + big.name());
            karaf.killWhen("the copy passed 256 MiB", STEP, () -> imageBytes(domainDir) > 256 * MiB);
            ended(create);
            karaf.start();
            String uuid = single(listedOf(big.name()));
            awaitNotRunning(big.name());
            Map<String, Path> images = completedImages(uuid);
            Path want = big.expectedImage("copy-expected.qcow2");
            try {
                assertEquals(Images.compare(images.get("vda"), want).output(), 0,
                        Images.compare(images.get("vda"), want).exitCode());
            } finally {
                Files.deleteIfExists(want);
            }
            karaf.run("backup:delete " + uuid);
            assertFalse(Files.exists(domainDir.resolve(uuid)));
        }
    }

    // ------------------------------------------------------------------------------ libvirtd

    @Test
    public void libvirtd1RestartedMidCopyTheBackupCompletesWhole() throws Exception {
        try (Guest big = Guest.startWithData(guests(), "fault-lvcopy", 3 * GiB, 2 * GiB)) {
            Path domainDir = targetRoot.resolve(uuidOf(big.name()));
            Process create = karaf.runInBackground("backup:create --wait " + big.name());
            awaitThat("the copy passed 128 MiB", () -> imageBytes(domainDir) > 128 * MiB);
            Libvirtd.restart();
            ended(create);
            awaitNotRunning(big.name());
            String uuid = single(listedOf(big.name()));
            Map<String, Path> images = completedImages(uuid);
            Path want = big.expectedImage("lvcopy-expected.qcow2");
            try {
                Cmd.Result same = Images.compare(images.get("vda"), want);
                assertEquals(same.output(), 0, same.exitCode());
            } finally {
                Files.deleteIfExists(want);
            }
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            karaf.run("backup:delete " + uuid);
            assertEquals(List.of(), big.checkpoints());
        }
    }

    @Test
    public void libvirtd2RestartedMidExportTheExportServesOnAndEndsCleanly() throws Exception {
        DiskHistory.Moment moment = history.now();
        String out = karaf.run("backup:export " + guest.name());
        String uuid = last(out);
        Map<String, String> uris = new LinkedHashMap<>();
        Matcher m = Pattern.compile("^\\s+(vd[a-z])\\s+(nbd\\S+)", Pattern.MULTILINE).matcher(out);
        while (m.find()) {
            uris.put(m.group(1), m.group(2));
        }
        assertEquals(out, 2, uris.size());
        Libvirtd.restart();
        history.write(guest, 0, next(), 0, 1 * MiB); // after the export's moment: it must not show
        Thread.sleep(5000); // a check of the export by the service (every few seconds) meets the new libvirtd
        assertEquals("still exported after libvirtd's restart", List.of(uuid), uuidsIn(karaf.run("backup:list --active "
                + guest.name())));
        for (Map.Entry<String, String> disk : uris.entrySet()) {
            int index = disk.getKey().charAt(2) - 'a';
            Path copy = expected.resolve("export-" + disk.getKey() + ".qcow2");
            Cmd.ok("qemu-img", "convert", "-f", "raw", "-O", "qcow2", disk.getValue(), copy.toString());
            Path want = history.image(moment, index, expected, "export-expected.qcow2");
            Cmd.Result same = Images.compare(copy, want);
            assertEquals(disk.getKey() + ": " + same.output(), 0, same.exitCode());
            Files.delete(copy);
            Files.delete(want);
        }
        karaf.run("backup:finish " + uuid);
        assertTrue(karaf.run("backup:info --no-domain " + uuid).contains("<state>completed</state>"));
        moments.put(uuid, moment);
        assertConsistent();
        karaf.run("backup:delete " + uuid); // a leaf: the managed chain goes on from its parent
        nextIncrementalIsCorrect();
    }

    // ------------------------------------------------------------------------------ merge

    @Test
    public void merge1KilledAfterItsRecordMergesNothingAndCanBeMergedAgain() throws Exception {
        killedMerge("merge.after-intent");
    }

    @Test
    public void merge2KilledAfterARebaseKeepsEveryBackupReadable() throws Exception {
        killedMerge("merge.after-rebase");
    }

    @Test
    public void merge3KilledAfterAChildsDescriptorKeepsEveryBackupReadable() throws Exception {
        killedMerge("merge.after-descriptor");
    }

    // ------------------------------------------------------------------------------ delete

    @Test
    public void delete1KilledAfterItsDescriptorWentLeavesNoDirectory() throws Exception {
        killedDelete("delete.after-descriptor");
    }

    @Test
    public void delete2KilledAfterItsCheckpointWentLeavesNoDirectory() throws Exception {
        killedDelete("delete.before-files");
    }

    // ------------------------------------------------------------------------------ restore

    @Test
    public void restore1KilledAfterTheDisksMovedAsideIsUndone() throws Exception {
        killedRestore("restore.after-park", false);
    }

    @Test
    public void restore2KilledAfterTheCopiesIsFinished() throws Exception {
        killedRestore("restore.after-copy", true);
    }

    @Test
    public void restore3KilledBetweenTheRenamesIsFinished() throws Exception {
        killedRestore("restore.between-renames", true);
    }

    // ------------------------------------------------------------------------------ full target, failing qemu-img

    @Test
    public void space1AnIncrementalTheTargetCannotHoldIsRefusedUpFront() throws Exception {
        try (Guest small = Guest.start(guests(), "fault-room", 256 * MiB); Tmpfs room = Tmpfs.mount(targets().resolve(
                "room"), 96 * MiB)) {
            karaf.run("backup:target " + small.name() + " " + room.path());
            small.write(0, 0x31, 0, 16 * MiB);
            String full = last(karaf.run("backup:create --wait " + small.name()));
            small.write(0, 0x32, 32 * MiB, 128 * MiB);
            String refused = karaf.runFailing("backup:create --wait --incremental " + small.name());
            assertTrue(refused, refused.contains("bytes free") && refused.contains("incremental"));
            assertEquals("nothing recorded", List.of(full), listedOf(small.name()));
            try (Stream<Path> dirs = Files.list(room.path().resolve(uuidOf(small.name())))) {
                assertEquals("nothing written", List.of(full), dirs.map(d -> d.getFileName().toString()).toList());
            }
            karaf.run("backup:delete " + full);
            karaf.run("backup:target --clear " + small.name());
        }
    }

    @Test
    public void space2ATargetFillingMidCopyFailsTheBackupWithNoSpaceAndRemovesIt() throws Exception {
        try (Guest big = Guest.startWithData(guests(), "fault-full", 3 * GiB, 2 * GiB);
                Tmpfs room = Tmpfs.mount(targets().resolve("full"), 2560 * MiB)) {
            karaf.run("backup:target " + big.name() + " " + room.path());
            Path domainDir = room.path().resolve(uuidOf(big.name()));
            Process create = karaf.runInBackground("backup:create --wait " + big.name());
            awaitThat("the copy passed 64 MiB", () -> imageBytes(domainDir) > 64 * MiB);
            Path filler = room.fill(); // another writer takes the space the copy was counting on
            ended(create);
            awaitNotRunning(big.name());
            String failed = single(listedOf(big.name()));
            String info = karaf.run("backup:info --no-domain " + failed);
            assertTrue(info, info.contains("<state>failed</state>") && info.contains("NO_SPACE"));
            for (Path image : targets(info).values()) {
                assertFalse("what it wrote is removed: " + image, Files.exists(image));
            }
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            assertEquals("its checkpoint is gone", List.of(), big.checkpoints());
            karaf.run("backup:delete " + failed);

            // Room again: the next backup is whole.
            Files.delete(filler);
            String next = last(karaf.run("backup:create --wait " + big.name()));
            Path want = big.expectedImage("full-expected.qcow2");
            try {
                Cmd.Result same = Images.compare(completedImages(next).get("vda"), want);
                assertEquals(same.output(), 0, same.exitCode());
            } finally {
                Files.deleteIfExists(want);
            }
            karaf.run("backup:delete " + next);
            karaf.run("backup:target --clear " + big.name());
        }
    }

    @Test
    public void tool1AQemuImgCrashMidCopyFailsTheBackupAndLeavesNothing() throws Exception {
        try (Guest big = Guest.startWithData(guests(), "fault-crash", 3 * GiB, 2 * GiB)) {
            Files.writeString(dir.resolve(CRASH_CONVERT), "");
            String out;
            try {
                out = karaf.runFailing("backup:create --wait " + big.name());
            } finally {
                Files.delete(dir.resolve(CRASH_CONVERT));
            }
            String failed = single(listedOf(big.name()));
            String info = karaf.run("backup:info --no-domain " + failed);
            assertTrue(out + info, info.contains("<state>failed</state>"));
            for (Path image : targets(info).values()) {
                assertFalse("what it wrote is removed: " + image, Files.exists(image));
            }
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", big.name()).contains("None"));
            assertEquals(List.of(), big.checkpoints());
            karaf.run("backup:delete " + failed);
            String next = last(karaf.run("backup:create --wait " + big.name()));
            Path want = big.expectedImage("crash-expected.qcow2");
            try {
                Cmd.Result same = Images.compare(completedImages(next).get("vda"), want);
                assertEquals(same.output(), 0, same.exitCode());
            } finally {
                Files.deleteIfExists(want);
            }
            karaf.run("backup:delete " + next);
        }
    }

    // ------------------------------------------------------------------------------ the cases

    private void killedCreateFails(String step, String options) throws Exception {
        List<String> before = listed();
        killedCreate(step, options);
        String uuid = single(minus(listed(), before));
        awaitNotRunning(guest.name());
        String info = karaf.run("backup:info --no-domain " + uuid);
        assertTrue(info, info.contains("<state>failed</state>"));
        for (Path image : targets(info).values()) {
            assertFalse("a failed backup keeps no image: " + image, Files.exists(image));
        }
        karaf.run("backup:delete " + uuid);
        assertConsistent();
        nextIncrementalIsCorrect();
    }

    private void killedCreateCompletes(String step, String options) throws Exception {
        List<String> before = listed();
        DiskHistory.Moment moment = killedCreate(step, options);
        String uuid = single(minus(listed(), before));
        moments.put(uuid, moment);
        awaitNotRunning(guest.name());
        assertTrue(karaf.run("backup:info --no-domain " + uuid).contains("<state>completed</state>"));
        assertConsistent();
        nextIncrementalIsCorrect();
    }

    /** An incremental create killed at the step, then Karaf started again; returns the moment it was asked at. */
    private DiskHistory.Moment killedCreate(String step, String options) throws Exception {
        history.write(guest, 0, next(), 16 * MiB, 2 * MiB);
        DiskHistory.Moment moment = history.now();
        karaf.arm(step);
        Process create = karaf.runInBackground("backup:create --wait " + options + " " + guest.name());
        karaf.killAt(step, STEP);
        ended(create);
        karaf.start();
        return moment;
    }

    /** Merges the newest backup that has a parent and a child into its children, killed at the step. */
    private void killedMerge(String step) throws Exception {
        // The newest backup with a parent and a child: a chain a <- merged <- b.
        nextIncrementalIsCorrect();
        nextIncrementalIsCorrect();
        Map<String, String> parents = new LinkedHashMap<>();
        for (String uuid : listed()) { // oldest first
            parents.put(uuid, parentOf(uuid));
        }
        String merged = parents.keySet().stream().filter(b -> parents.get(b) != null && parents.containsValue(b))
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no backup with a parent and a child: " + parents));
        karaf.arm(step);
        Process delete = karaf.runInBackground("backup:delete --merge " + merged);
        karaf.killAt(step, STEP);
        ended(delete);
        karaf.start();
        assertConsistent();
        if (listed().contains(merged)) { // cut short before every child moved: merging again finishes it
            karaf.run("backup:delete --merge " + merged);
        }
        assertFalse(listed().contains(merged));
        assertConsistent();
        nextIncrementalIsCorrect();
    }

    private void killedDelete(String step) throws Exception {
        List<String> chain = listed();
        String leaf = chain.get(chain.size() - 1);
        karaf.arm(step);
        Process delete = karaf.runInBackground("backup:delete " + leaf);
        karaf.killAt(step, STEP);
        ended(delete);
        karaf.start();
        assertFalse("a deletion past its descriptor is finished", listed().contains(leaf));
        assertFalse(Files.exists(domainDir().resolve(leaf)));
        assertFalse(guest.checkpoints().contains("vb-" + leaf));
        assertConsistent();
        nextIncrementalIsCorrect();
    }

    /** Restores the latest backup over the shut-off guest's disks, killed at the step. */
    private void killedRestore(String step, boolean finished) throws Exception {
        history.write(guest, 0, next(), 0, 1 * MiB); // the disks now differ from every backup
        history.write(guest, 1, next(), 0, 1 * MiB);
        DiskHistory.Moment current = history.now();
        List<String> chain = listed();
        String restored = chain.get(chain.size() - 1);
        guest.shutOff();
        karaf.arm(step);
        Process restore = karaf.runInBackground("backup:restore --overwrite " + restored);
        karaf.killAt(step, STEP);
        ended(restore);
        karaf.start();
        DiskHistory.Moment now = finished ? moments.get(restored) : current;
        for (int disk = 0; disk < 2; disk++) {
            Path want = history.image(now, disk, expected, "restored-" + disk + ".qcow2");
            Cmd.Result same = Images.compare(guest.disk(disk), want);
            assertEquals("disk " + disk + " is " + (finished ? "the backup's" : "as before the restore") + ": "
                    + same.output(), 0, same.exitCode());
            Files.delete(want);
        }
        history.backTo(now);
        try (Stream<Path> files = Files.list(guest.workDir())) {
            assertEquals("no disk moved aside, no temporary", Set.of("vda.qcow2", "vdb.qcow2", "domain.xml"),
                    files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()));
        }
        guest.startIt();
        assertConsistent();
        nextIncrementalIsCorrect();
    }

    // ------------------------------------------------------------------------------ checks

    /** An incremental (full when the parent cannot serve) holds the guest's disks at its moment. */
    private static void nextIncrementalIsCorrect() throws Exception {
        history.write(guest, 1, next(), 24 * MiB, 2 * MiB);
        String uuid = create("--incremental ");
        assertConsistent();
        assertTrue(listed().contains(uuid));
    }

    private static String create(String options) throws Exception {
        DiskHistory.Moment moment = history.now();
        String uuid = last(karaf.run("backup:create --wait " + options + guest.name()));
        moments.put(uuid, moment);
        return uuid;
    }

    /**
     * Every listed backup is completed and reads as the guest at its moment; nothing unlisted
     * remains in the target, in the guest's directory, in the runtime directory or in libvirt.
     */
    private static void assertConsistent() throws Exception {
        awaitNotRunning(guest.name());
        List<String> uuids = listed();
        for (String uuid : uuids) {
            Map<String, Path> images = completedImages(uuid, true);
            DiskHistory.Moment moment = moments.get(uuid);
            assertTrue("backup " + uuid + " was made by this test", moment != null);
            for (Map.Entry<String, Path> disk : images.entrySet()) {
                int index = disk.getKey().charAt(2) - 'a';
                Path want = history.image(moment, index, expected, "expected-" + (expectedImages++) + ".qcow2");
                Cmd.Result same = Images.compare(disk.getValue(), want);
                assertEquals("backup " + uuid + " disk " + disk.getKey() + ": " + same.output(), 0, same.exitCode());
                Files.delete(want);
            }
        }
        Set<String> dirs;
        try (Stream<Path> files = Files.exists(domainDir()) ? Files.list(domainDir()) : Stream.empty()) {
            dirs = files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
        }
        assertEquals("a directory per listed backup, no other", new HashSet<>(uuids), dirs);
        try (Stream<Path> all = Files.walk(targetRoot)) {
            List<Path> temporaries = all.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
            assertTrue("no temporary left: " + temporaries, temporaries.isEmpty());
        }
        Set<String> owned = uuids.stream().map(u -> "vb-" + u).collect(Collectors.toSet());
        List<String> orphans = guest.checkpoints().stream().filter(c -> c.startsWith("vb-") && !owned.contains(c)).toList();
        assertTrue("no checkpoint without its backup: " + orphans, orphans.isEmpty());
        if (Cmd.ok("virsh", "-c", Guest.URI, "domstate", guest.name()).contains("running")) {
            String job = Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", guest.name());
            assertTrue("no libvirt job left: " + job, job.contains("None"));
        }
        Path run = Path.of("/run/virt-backup-faults");
        if (Files.isDirectory(run)) {
            try (Stream<Path> files = Files.list(run)) {
                List<Path> sockets = files.filter(f -> f.toString().endsWith(".sock")).toList();
                assertTrue("no socket left: " + sockets, sockets.isEmpty());
            }
        }
    }

    /** The images of a completed backup, by disk name. */
    private static Map<String, Path> completedImages(String uuid) {
        return completedImages(uuid, false);
    }

    /** The images of a completed backup, by disk name; none for an unmanaged one, if allowed. */
    private static Map<String, Path> completedImages(String uuid, boolean unmanagedToo) {
        String info = karaf.run("backup:info --no-domain " + uuid);
        assertTrue("backup " + uuid + " is completed:\n" + info, info.contains("<state>completed</state>"));
        Map<String, Path> images = targets(info);
        assertTrue(info, !images.isEmpty() || unmanagedToo && info.contains("<mode>unmanaged</mode>"));
        return images;
    }

    private static Map<String, Path> targets(String info) {
        Map<String, Path> images = new LinkedHashMap<>();
        Matcher m = DISK_TARGET.matcher(info);
        while (m.find()) {
            images.put(m.group(1), Path.of(m.group(2)));
        }
        return images;
    }

    private static String parentOf(String uuid) {
        Matcher m = PARENT.matcher(karaf.run("backup:info --no-domain " + uuid));
        return m.find() ? m.group(1) : null;
    }

    private static void awaitNotRunning(String domain) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!uuidsIn(karaf.run("backup:list --active " + domain)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("backups of " + domain + " still running after " + STEP.toSeconds() + " s: "
                        + karaf.run("backup:list " + domain));
            }
            Thread.sleep(500);
        }
    }

    /** The guest's backups, oldest first. */
    private static List<String> listed() {
        return listedOf(guest.name());
    }

    private static List<String> listedOf(String domain) {
        return uuidsIn(karaf.run("backup:list " + domain));
    }

    private static List<String> uuidsIn(String table) {
        return table.lines().map(UUID::matcher).filter(Matcher::find).map(Matcher::group).toList();
    }

    private static Path domainDir() {
        return targetRoot.resolve(Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip());
    }

    private static long imageBytes(Path domainDir) {
        try (Stream<Path> files = Files.exists(domainDir) ? Files.walk(domainDir) : Stream.empty()) {
            return files.filter(f -> f.toString().endsWith(".qcow2")).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0; // a directory went meanwhile
        }
    }

    private static Path guests() {
        return guest.workDir().getParent();
    }

    private static Path targets() {
        return dir.resolve("targets");
    }

    private static String uuidOf(String domain) {
        return Cmd.ok("virsh", "-c", Guest.URI, "domuuid", domain).strip();
    }

    private static String last(String out) {
        String[] lines = out.strip().split("\n");
        String uuid = lines[lines.length - 1].strip();
        assertTrue(out, UUID.matcher(uuid).matches());
        return uuid;
    }

    private static void awaitThat(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + STEP.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    /** Waits for a command started in the background; it ends with the JVM it talked to, or with its work. */
    private static void ended(Process command) throws InterruptedException {
        if (!command.waitFor(STEP.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            command.destroyForcibly();
            throw new AssertionError("a command still ran " + STEP.toSeconds() + " s on; see " + karaf.log());
        }
    }

    private static List<String> minus(List<String> a, List<String> b) {
        return a.stream().filter(x -> !b.contains(x)).toList();
    }

    private static String single(List<String> uuids) {
        assertEquals("one backup: " + uuids, 1, uuids.size());
        return uuids.get(0);
    }

    private static int next() {
        return pattern++;
    }
}
