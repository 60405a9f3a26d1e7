package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupDisk;

/** Restores cut short (as a SIGKILL would leave them) at each step, finished or undone whole. */
class RestoreIntentTest {

    @TempDir
    Path tmp;

    @Test
    void cutWhileCopyingTheOriginalDisksComeBackAndNoTemporaryStays() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        List<RestoreTarget> plan = List.of(target("vda", "old a"), target("vdb", "old b"));
        RestoreIntent.begin(backup, plan, true, null);
        for (RestoreTarget t : plan) { // parked, and half a copy written
            Files.move(t.target(), t.parked());
            Files.writeString(t.temporary(), "half");
            Files.writeString(t.temporary().resolveSibling(t.temporary().getFileName() + ".log"), "(50.00/100%)");
        }

        assertEquals(1, RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected, RestoreIntentTest::noDomainExpected).size());

        assertEquals("old a", Files.readString(plan.get(0).target()));
        assertEquals("old b", Files.readString(plan.get(1).target()));
        assertEquals(List.of("vda.qcow2", "vdb.qcow2"), names(tmp.resolve("disks")));
        assertEquals(List.of(), names(backup), "the record is gone");
    }

    @Test
    void cutBetweenTheRenamesTheRestoreIsFinishedSoNoDiskIsFromAnotherMoment() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        List<RestoreTarget> plan = List.of(target("vda", "old a"), target("vdb", "old b"));
        copied(RestoreIntent.begin(backup, plan, false, null), plan);
        Files.move(plan.get(0).temporary(), plan.get(0).target()); // the first rename, then the crash

        RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected, RestoreIntentTest::noDomainExpected);

        assertEquals("new vda", Files.readString(plan.get(0).target()));
        assertEquals("new vdb", Files.readString(plan.get(1).target()));
        assertEquals(List.of("vda.qcow2", "vdb.qcow2"), names(tmp.resolve("disks")));
    }

    @Test
    void aRestoreIntoNewFilesCutWhileCopyingLeavesNothing() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        RestoreTarget t = new RestoreTarget(disk("vda"), disks.resolve("new.qcow2"), "qcow2");
        RestoreIntent.begin(backup, List.of(t), false, null);
        Files.writeString(t.temporary(), "half");

        RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected, RestoreIntentTest::noDomainExpected);

        assertEquals(List.of(), names(disks));
        assertFalse(Files.exists(t.target()));
    }

    /**
     * Cut after its disks took their places but before the firmware state was put back: finishing
     * it puts the firmware back before the record goes; a failure to keeps the record, for the next start.
     */
    @Test
    void cutBeforeTheFirmwareWasPutBackTheRestoreIsFinishedWithIt() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        List<RestoreTarget> plan = List.of(target("vda", "old a"));
        RestoreIntent intent = RestoreIntent.begin(backup, plan, true, null);
        Files.move(plan.get(0).target(), plan.get(0).parked());
        Files.writeString(plan.get(0).temporary(), "new vda");
        intent.copied();
        Files.move(plan.get(0).temporary(), plan.get(0).target()); // renamed, then the crash

        assertThrows(IOException.class, () -> RestoreIntent.recover(backup, () -> {
            throw new IOException("libvirtd is not there (a test)");
        }, RestoreIntentTest::noDomainExpected));
        assertEquals(1, names(backup).size(), "not finished: the record stays");
        int[] putBack = {0};
        List<String> done = RestoreIntent.recover(backup, () -> {
            assertEquals(1, names(backup).size(), "the firmware goes back before the record goes");
            putBack[0]++;
        }, RestoreIntentTest::noDomainExpected);

        assertEquals(1, putBack[0]);
        assertTrue(done.get(0).endsWith("with its firmware"), done.get(0));
        assertEquals("new vda", Files.readString(plan.get(0).target()));
        assertEquals(List.of("vda.qcow2"), names(tmp.resolve("disks")));
        assertEquals(List.of(), names(backup));
    }

    /** Failed after its copies and being undone in-process when the crash came: undone at start, not finished. */
    @Test
    void cutWhileAFailedRestoreWasUndoneItIsUndoneNotFinished() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        List<RestoreTarget> plan = List.of(target("vda", "old a"), target("vdb", "old b"));
        RestoreIntent intent = copied(RestoreIntent.begin(backup, plan, true, null), plan);
        for (RestoreTarget t : plan) {
            Files.move(t.temporary(), t.target());
        }
        intent.undoing(); // the firmware could not be put back: the old disks go back
        Files.move(plan.get(0).parked(), plan.get(0).target(), StandardCopyOption.REPLACE_EXISTING);

        RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected, RestoreIntentTest::noDomainExpected);

        assertEquals("old a", Files.readString(plan.get(0).target()));
        assertEquals("old b", Files.readString(plan.get(1).target()), "never disks from two moments");
        assertEquals(List.of("vda.qcow2", "vdb.qcow2"), names(tmp.resolve("disks")));
    }

    /**
     * A restore into a new domain, cut after its copies were made and renamed but before its domain
     * was defined: undone, images included (they are new files nothing uses, and a retry under the
     * same name would be refused for them). Once libvirt has the domain, the same record is
     * finished instead; while libvirt cannot say, the record stays.
     */
    @Test
    void aRestoreIntoANewDomainCutBeforeItWasDefinedIsUndoneImagesIncluded() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        RestoreTarget t = new RestoreTarget(disk("vda"), disks.resolve("copy-vda.qcow2"), "qcow2");
        RestoreIntent intent = RestoreIntent.begin(backup, List.of(t), false, "copy");
        Files.writeString(t.temporary(), "new vda");
        intent.copied();
        Files.move(t.temporary(), t.target()); // renamed, then the crash, before the domain was defined

        assertThrows(IllegalStateException.class, () -> RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected,
                name -> {
                    throw new IllegalStateException("libvirtd does not answer (a test)");
                }));
        assertEquals(1, names(backup).size(), "libvirt could not say: the record stays");
        List<String> done = RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected, name -> {
            assertEquals("copy", name);
            return false;
        });

        assertTrue(done.get(0).startsWith("undone") && done.get(0).contains("new domain copy"), done.get(0));
        assertEquals(List.of(), names(disks), "no image is left for a domain that does not exist");
        assertEquals(List.of(), names(backup));

        RestoreIntent defined = RestoreIntent.begin(backup, List.of(t), false, "copy");
        Files.writeString(t.temporary(), "new vda");
        defined.copied();
        Files.move(t.temporary(), t.target()); // renamed and defined, then the crash before the record went
        RestoreIntent.recover(backup, RestoreIntentTest::noFirmwareExpected, name -> true);
        assertEquals("new vda", Files.readString(t.target()), "the domain's image stays");
    }

    private static boolean noDomainExpected(String name) {
        throw new AssertionError("no restore into a new domain was recorded, yet " + name + " was looked for");
    }

    /** Each disk moved aside and its copy written beside it, then recorded as copied. */
    private static RestoreIntent copied(RestoreIntent intent, List<RestoreTarget> plan) throws IOException {
        for (RestoreTarget t : plan) {
            Files.move(t.target(), t.parked());
            Files.writeString(t.temporary(), "new " + t.disk().name());
        }
        intent.copied();
        return intent;
    }

    private static void noFirmwareExpected() {
        throw new AssertionError("the firmware is put back only when a restore that was to put it back is finished");
    }

    private RestoreTarget target(String name, String content) throws Exception {
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        Path file = Files.writeString(disks.resolve(name + ".qcow2"), content);
        return new RestoreTarget(disk(name), file, "qcow2");
    }

    private static BackupDisk disk(String name) {
        return new BackupDisk(name, "qcow2", "/backups/" + name + ".qcow2", 1024, 0);
    }

    private static List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
