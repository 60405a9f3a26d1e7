package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
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
        RestoreIntent.begin(backup, plan);
        for (RestoreTarget t : plan) { // parked, and half a copy written
            Files.move(t.target(), t.parked());
            Files.writeString(t.temporary(), "half");
            Files.writeString(t.temporary().resolveSibling(t.temporary().getFileName() + ".log"), "(50.00/100%)");
        }

        assertEquals(1, RestoreIntent.recover(backup).size());

        assertEquals("old a", Files.readString(plan.get(0).target()));
        assertEquals("old b", Files.readString(plan.get(1).target()));
        assertEquals(List.of("vda.qcow2", "vdb.qcow2"), names(tmp.resolve("disks")));
        assertEquals(List.of(), names(backup), "the record is gone");
    }

    @Test
    void cutBetweenTheRenamesTheRestoreIsFinishedSoNoDiskIsFromAnotherMoment() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        List<RestoreTarget> plan = List.of(target("vda", "old a"), target("vdb", "old b"));
        RestoreIntent intent = RestoreIntent.begin(backup, plan);
        for (RestoreTarget t : plan) {
            Files.move(t.target(), t.parked());
            Files.writeString(t.temporary(), "new " + t.disk().name());
        }
        intent.copied();
        Files.move(plan.get(0).temporary(), plan.get(0).target()); // the first rename, then the crash

        RestoreIntent.recover(backup);

        assertEquals("new vda", Files.readString(plan.get(0).target()));
        assertEquals("new vdb", Files.readString(plan.get(1).target()));
        assertEquals(List.of("vda.qcow2", "vdb.qcow2"), names(tmp.resolve("disks")));
    }

    @Test
    void aRestoreIntoNewFilesCutWhileCopyingLeavesNothing() throws Exception {
        Path backup = Files.createDirectory(tmp.resolve("backup"));
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        RestoreTarget t = new RestoreTarget(disk("vda"), disks.resolve("new.qcow2"), "qcow2");
        RestoreIntent.begin(backup, List.of(t));
        Files.writeString(t.temporary(), "half");

        RestoreIntent.recover(backup);

        assertEquals(List.of(), names(disks));
        assertFalse(Files.exists(t.target()));
    }

    private RestoreTarget target(String name, String content) throws Exception {
        Path disks = Files.createDirectories(tmp.resolve("disks"));
        Path file = Files.writeString(disks.resolve(name + ".qcow2"), content);
        return new RestoreTarget(disk(name), file, "qcow2");
    }

    private static BackupDisk disk(String name) {
        return new BackupDisk(name, "qcow2", "/backups/" + name + ".qcow2", 1024, 0);
    }

    private static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
