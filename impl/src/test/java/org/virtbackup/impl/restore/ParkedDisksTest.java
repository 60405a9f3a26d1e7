package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.fakes.FakeDomain;

/** Disks moved aside for an in-place restore, on real files, with a fake domain. */
class ParkedDisksTest {

    @TempDir
    Path tmp;

    @Test
    void aDomainStartedAsTheDisksMoveGetsThemBackUntouched() throws Exception {
        FakeDomain domain = new FakeDomain("vm", tmp.resolve("vda.qcow2").toString());
        List<RestoreTarget> plan = List.of(target("vda.qcow2", "disk a"), target("vdb.qcow2", "disk b"));
        domain.active = true; // started between the restore's first look and the move
        BackupException e = assertThrows(BackupException.class, () -> ParkedDisks.park(domain, plan));
        assertEquals(ErrorCode.INVALID_STATE, e.code());
        assertTrue(e.getMessage().contains("was started as the restore began"), e.getMessage());
        assertEquals("disk a", Files.readString(tmp.resolve("vda.qcow2")));
        assertEquals("disk b", Files.readString(tmp.resolve("vdb.qcow2")));
        assertEquals(List.of("vda.qcow2", "vdb.qcow2"), files());
    }

    @Test
    void parkedDisksAreAwayUntilDroppedOrPutBack() throws Exception {
        FakeDomain domain = new FakeDomain("vm", tmp.resolve("vda.qcow2").toString());
        List<RestoreTarget> plan = List.of(target("vda.qcow2", "disk a"));
        ParkedDisks parked = ParkedDisks.park(domain, plan);
        assertFalse(Files.exists(tmp.resolve("vda.qcow2")), "a start now finds no disk");
        Files.writeString(tmp.resolve("vda.qcow2"), "restored, then the restore failed");
        RuntimeException failure = parked.putBackFor(new RuntimeException("copy failed"));
        assertEquals(0, failure.getSuppressed().length);
        assertEquals("disk a", Files.readString(tmp.resolve("vda.qcow2")));

        parked = ParkedDisks.park(domain, plan);
        Files.writeString(tmp.resolve("vda.qcow2"), "restored");
        parked.drop();
        assertEquals(List.of("vda.qcow2"), files());
        assertEquals("restored", Files.readString(tmp.resolve("vda.qcow2")));
    }

    @Test
    void aDiskLeftAsideByAnInterruptedRestoreStopsTheNextAndIsNamed() throws Exception {
        FakeDomain domain = new FakeDomain("vm", tmp.resolve("vda.qcow2").toString());
        RestoreTarget t = target("vda.qcow2", "disk a");
        Files.writeString(t.parked(), "the disk before the interrupted restore");
        BackupException e = assertThrows(BackupException.class, () -> ParkedDisks.park(domain, List.of(t)));
        assertEquals(ErrorCode.INVALID_STATE, e.code());
        assertTrue(e.getMessage().startsWith(t.parked() + " exists"), e.getMessage());
        assertEquals("disk a", Files.readString(t.target()));
        assertEquals("the disk before the interrupted restore", Files.readString(t.parked()));
    }

    @Test
    void aMissingDiskIsRestoredWithoutParkingAndAFailedPutBackIsNamed() throws Exception {
        FakeDomain domain = new FakeDomain("vm", tmp.resolve("vda.qcow2").toString());
        RestoreTarget missing = new RestoreTarget(disk("vdb"), tmp.resolve("vdb.qcow2"), "qcow2");
        RestoreTarget present = target("vda.qcow2", "disk a");
        ParkedDisks parked = ParkedDisks.park(domain, List.of(present, missing));
        assertFalse(Files.exists(missing.parked()));
        Files.delete(present.parked()); // something removed it meanwhile
        RuntimeException failure = parked.putBackFor(new RuntimeException("copy failed"));
        assertEquals(1, failure.getSuppressed().length);
        assertTrue(failure.getSuppressed()[0].getMessage().contains(present.parked().toString()),
                failure.getSuppressed()[0].getMessage());
    }

    private RestoreTarget target(String file, String content) throws Exception {
        Path path = Files.writeString(tmp.resolve(file), content);
        return new RestoreTarget(disk(file.substring(0, 3)), path, "qcow2");
    }

    private static BackupDisk disk(String name) {
        return new BackupDisk(name, "qcow2", "/backups/" + name + ".qcow2", 1024, 0);
    }

    private List<String> files() throws Exception {
        try (var s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
