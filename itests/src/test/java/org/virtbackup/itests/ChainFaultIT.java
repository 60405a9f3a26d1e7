package org.virtbackup.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.FaultFixture.*;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.virtbackup.itests.support.FaultFixture;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.GuestFileSystem;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Libvirtd;
import org.virtbackup.itests.support.Mounts;
import org.virtbackup.itests.support.Tmpfs;

/**
 * The fault suite, edits of a chain: SIGKILL at each step of a delete, a merge and an in-place
 * restore, then the checks of {@link FaultFixture}; a restore is undone or finished whole, never
 * leaving disks from two moments. See {@link CreateFaultIT}.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ChainFaultIT {

    private static FaultFixture f;

    @BeforeClass
    public static void start() throws Exception {
        f = FaultFixture.start("faults-chain");
    }

    @AfterClass
    public static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    public void delete1KilledAfterItsDescriptorWentLeavesNoDirectory() throws Exception {
        killedDelete("delete.after-descriptor");
    }

    @Test
    public void delete2KilledAfterItsCheckpointWentLeavesNoDirectory() throws Exception {
        killedDelete("delete.before-files");
    }

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

    @Test
    public void merge4KilledWhileDeletingTheMergedBackupFinishesTheDeletion() throws Exception {
        killedMerge("delete.after-descriptor"); // a merge ends with the merged backup's deletion
    }

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

    /**
     * Killed after a UEFI guest's disks took their places and before its NVRAM and TPM state were
     * put back: the next start finishes the restore with them, so the machine's disks and firmware
     * are from one moment.
     */
    @Test
    public void restore4KilledBeforeTheFirmwareWasPutBackIsFinishedWithIt() throws Exception {
        try (Guest guest = Guest.startUefiWithTpm(f.guests(), "fault-uefi", 16 * MiB)) {
            guest.shutOff(); // libvirt made the NVRAM, swtpm its state
            Path nvram = guest.workDir().resolve(guest.name() + "_VARS.fd");
            String domain = Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip();
            Path tpm = Path.of("/var/lib/libvirt/swtpm", domain, "tpm2", "tpm2-00.permall");
            byte[] nvramAtBackup = Files.readAllBytes(nvram);
            nvramAtBackup[nvramAtBackup.length - 5] ^= 0x5a; // variables unlike the template's
            Files.write(nvram, nvramAtBackup);
            byte[] tpmAtBackup = Files.readAllBytes(tpm);
            String uuid = last(f.karaf.run("backup:create --wait " + guest.name()));
            Files.write(nvram, new byte[nvramAtBackup.length]); // the guest's firmware state after the backup
            Files.write(tpm, new byte[tpmAtBackup.length]);

            f.karaf.arm("restore.before-firmware");
            Process restore = f.karaf.runInBackground("backup:restore --overwrite " + uuid);
            f.karaf.killAt("restore.before-firmware", STEP);
            f.ended(restore);
            f.karaf.start();
            assertArrayEquals("the NVRAM of the backup's moment, as its disks", nvramAtBackup, Files.readAllBytes(nvram));
            assertArrayEquals("and its TPM state", tpmAtBackup, Files.readAllBytes(tpm));
            try (Stream<Path> left = Files.list(guest.workDir())) {
                assertEquals("no disk moved aside (.NAME.before-restore), no temporary (.NAME.restoring)", List.of(),
                        left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList());
            }
            f.karaf.run("backup:delete " + uuid);
        }
    }

    /**
     * Killed while a file restore holds a disk open: its file system and nbdfuse's FUSE mount
     * stay mounted (and nbdfuse and qemu-nbd running) until the next start takes them.
     */
    @Test
    public void files1KilledWithADiskMountedLeavesNothingMountedOnceStarted() throws Exception {
        byte[] hostname = "files-fault\n".getBytes(StandardCharsets.UTF_8);
        GuestFileSystem fs = GuestFileSystem.partitioned(Files.createTempDirectory(f.dir, "fs"), DISK).file("etc/hostname", hostname);
        try (Guest guest = Guest.startFilled(f.guests(), "fault-files", DISK, fs::writeTo)) {
            String uuid = last(f.karaf.run("backup:create --wait " + guest.name()));
            Path work = f.karaf.home().resolve("data/virt-backup-scratch/files");
            f.karaf.arm("files.read");
            Process files = f.karaf.runInBackground("backup:files " + uuid + " vda p1/etc");
            f.karaf.killAt("files.read", STEP);
            f.ended(files);
            List<String> left = Mounts.under(work);
            assertEquals("the killed JVM left the FUSE and the file system mounted: " + left, 2, left.size());
            List<ProcessHandle> servers = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                    .map(c -> c.contains("nbdfuse") && c.contains(work.toString())).orElse(false))
                    .flatMap(p -> Stream.concat(Stream.of(p), p.descendants())).toList();
            assertTrue("nbdfuse and its qemu-nbd outlive the JVM: " + servers, servers.size() >= 2);

            f.karaf.start();
            awaitThat("the start unmounts what the killed JVM left", () -> Mounts.under(work).isEmpty());
            awaitThat("and removes its work directory", () -> {
                try (Stream<Path> dirs = Files.list(work)) {
                    return dirs.findAny().isEmpty();
                } catch (IOException e) {
                    return false;
                }
            });
            awaitThat("nbdfuse and its qemu-nbd end", () -> servers.stream().noneMatch(ProcessHandle::isAlive));
            assertEquals("no loop device is left over its disk file", List.of(), Mounts.loopsOver(work));
            String listed = f.karaf.run("backup:files " + uuid + " vda p1/etc");
            assertTrue("and files are read again: " + listed, listed.contains("hostname"));
            f.karaf.run("backup:delete " + uuid);
        }
    }

    private void killedDelete(String step) throws Exception {
        List<String> chain = f.listed();
        String leaf = chain.get(chain.size() - 1);
        f.karaf.arm(step);
        Process delete = f.karaf.runInBackground("backup:delete " + leaf);
        f.karaf.killAt(step, STEP);
        f.ended(delete);
        f.karaf.start();
        assertFalse("a deletion past its descriptor is finished", f.listed().contains(leaf));
        assertFalse(Files.exists(f.domainDir().resolve(leaf)));
        assertFalse(f.guest.checkpoints().contains("vb-" + leaf));
        f.assertConsistent();
        f.nextIncrementalIsCorrect();
    }

    /** Merges the newest backup that has a parent and a child into its children, killed at the step. */
    private void killedMerge(String step) throws Exception {
        // The newest backup with a parent and a child: a chain a <- merged <- b.
        f.nextIncrementalIsCorrect();
        f.nextIncrementalIsCorrect();
        Map<String, String> parents = new LinkedHashMap<>();
        for (String uuid : f.listed()) { // oldest first
            parents.put(uuid, f.parentOf(uuid));
        }
        String merged = parents.keySet().stream().filter(b -> parents.get(b) != null && parents.containsValue(b))
                .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no backup with a parent and a child: " + parents));
        f.karaf.arm(step);
        Process delete = f.karaf.runInBackground("backup:delete --merge " + merged);
        f.karaf.killAt(step, STEP);
        f.ended(delete);
        f.karaf.start();
        f.assertConsistent();
        if (f.listed().contains(merged)) { // cut short before every child moved: merging again finishes it
            f.karaf.run("backup:delete --merge " + merged);
        }
        assertFalse(f.listed().contains(merged));
        f.assertConsistent();
        f.nextIncrementalIsCorrect();
    }

    /** Restores the latest backup over the shut-off guest's disks, killed at the step. */
    private void killedRestore(String step, boolean finished) throws Exception {
        f.history.write(f.guest, 0, f.next(), 0, 1 * MiB); // the disks now differ from every backup
        f.history.write(f.guest, 1, f.next(), 0, 1 * MiB);
        DiskHistory.Moment current = f.history.now();
        List<String> chain = f.listed();
        String restored = chain.get(chain.size() - 1);
        f.guest.shutOff();
        f.karaf.arm(step);
        Process restore = f.karaf.runInBackground("backup:restore --overwrite " + restored);
        f.karaf.killAt(step, STEP);
        f.ended(restore);
        f.karaf.start();
        DiskHistory.Moment now = finished ? f.moments.get(restored) : current;
        for (int disk = 0; disk < 2; disk++) {
            Path want = f.history.image(now, disk, f.expected, "restored-" + disk + ".qcow2");
            Cmd.Result same = Images.compare(f.guest.disk(disk), want);
            assertEquals("disk " + disk + " is " + (finished ? "the backup's" : "as before the restore") + ": "
                    + same.output(), 0, same.exitCode());
            Files.delete(want);
        }
        f.history.backTo(now);
        try (Stream<Path> files = Files.list(f.guest.workDir())) {
            assertEquals("no disk moved aside, no temporary", Set.of("vda.qcow2", "vdb.qcow2", "domain.xml"),
                    files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()));
        }
        f.guest.startIt();
        f.assertConsistent();
        f.nextIncrementalIsCorrect();
    }
}
