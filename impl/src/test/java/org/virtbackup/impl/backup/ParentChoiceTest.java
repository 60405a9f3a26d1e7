package org.virtbackup.impl.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.fakes.FakeQemuImg;

/** Which parent a new backup gets, and every drift that makes it a full one instead. */
class ParentChoiceTest {

    @TempDir
    Path tmp;

    private BackupTrees trees;
    private FakeQemuImg qemuImg;
    private ParentChoice choice;

    @BeforeEach
    void setUp() {
        trees = new BackupTrees(tmp);
        qemuImg = new FakeQemuImg(tmp);
        choice = new ParentChoice(trees.catalogue, qemuImg.qemuImg());
    }

    private ParentChoice.Decision decide(BackupMode mode, Backup parent, CreateFlag... flags) {
        BackupRequest request = new BackupRequest(null, null, parent == null ? null : parent.uuid(), List.of());
        return choice.decide(new BackupPlan(mode, trees.domain, trees.domain.ref(), trees.domain.xml(),
                trees.domain.disks(), request, Set.of(flags), null));
    }

    /** The live bitmaps of a running domain, as QEMU lists them. */
    private void liveBitmap(String name, boolean recording) {
        trees.domain.active = true;
        trees.domain.blockNodes = "{\"return\":[{\"dirty-bitmaps\":[{\"name\":\"" + name + "\",\"recording\":" + recording
                + ",\"persistent\":true}]}]}";
    }

    @Test
    void withoutAskingThereIsNoParent() {
        Backup full = trees.full();
        liveBitmap(full.checkpoint(), true);
        assertNull(decide(BackupMode.MANAGED, null).parent());
        assertNull(decide(BackupMode.MANAGED, full, CreateFlag.FORCE_FULL).parent(), "FORCE_FULL wins over a parent");
    }

    @Test
    void incrementalTakesTheLatestCompletedBackup() {
        Backup first = trees.full();
        Backup second = trees.incremental(first);
        trees.add(second, JobState.FAILED);
        liveBitmap(second.checkpoint(), true);
        ParentChoice.Decision d = decide(BackupMode.MANAGED, null, CreateFlag.INCREMENTAL);
        assertEquals(second.uuid(), d.parent().backup().uuid());
        assertEquals("", d.note());
    }

    @Test
    void aCheckpointGoneFromLibvirtGivesAFullBackupWithTheReason() {
        Backup full = trees.full();
        trees.domain.checkpoints.remove(full.checkpoint());
        ParentChoice.Decision d = decide(BackupMode.MANAGED, full);
        assertNull(d.parent());
        assertTrue(d.note().contains("checkpoint " + full.checkpoint() + " of parent " + full.uuid() + " is gone from libvirt"),
                d.note());
        assertTrue(d.note().endsWith("a full backup was made instead"), d.note());
    }

    @Test
    void strictRefusesInsteadOfFallingBack() {
        Backup full = trees.full();
        trees.domain.checkpoints.remove(full.checkpoint());
        BackupException e = assertThrows(BackupException.class,
                () -> decide(BackupMode.MANAGED, full, CreateFlag.STRICT_INCREMENTAL));
        assertEquals(ErrorCode.CHAIN_BROKEN, e.code());
        assertEquals(ErrorCode.CHAIN_BROKEN, assertThrows(BackupException.class,
                () -> decide(BackupMode.MANAGED, null, CreateFlag.STRICT_INCREMENTAL)).code(), "no completed backup");
    }

    @Test
    void aBitmapThatStoppedRecordingOrIsMissingIsDrift() {
        Backup full = trees.full();
        liveBitmap(full.checkpoint(), false);
        assertTrue(decide(BackupMode.MANAGED, full).note().contains("is not recording"));
        liveBitmap("vb-someone-else", true);
        assertTrue(decide(BackupMode.MANAGED, full).note().contains("is missing from the disk images"));
        liveBitmap(full.checkpoint(), true);
        assertEquals(full.uuid(), decide(BackupMode.MANAGED, full).parent().backup().uuid());
    }

    @Test
    void theBitmapsReadToCheckARunningParentTellWhatTheIncrementalHoldsToo() {
        Backup full = trees.full();
        trees.domain.active = true;
        trees.domain.blockNodes = "{\"return\":[{\"dirty-bitmaps\":[{\"name\":\"" + full.checkpoint()
                + "\",\"recording\":true,\"count\":67108864,\"persistent\":true}]}]}";
        assertEquals(67108864L, decide(BackupMode.MANAGED, full).dirtyBytes(), "the room check needs no second query");
        assertEquals(-1L, decide(BackupMode.MANAGED, null).dirtyBytes(), "a full backup has no bitmaps to count");
    }

    @Test
    void aShutOffDomainsBitmapIsReadFromItsImage() {
        Backup full = trees.full();
        trees.domain.active = false;
        qemuImg.info("{\"format-specific\":{\"data\":{\"bitmaps\":[{\"flags\":[\"auto\"],\"name\":\"" + full.checkpoint()
                + "\",\"granularity\":65536}]}}}");
        assertEquals(full.uuid(), decide(BackupMode.MANAGED, full).parent().backup().uuid());
        qemuImg.info("{\"format-specific\":{\"data\":{\"bitmaps\":[{\"flags\":[\"in-use\",\"auto\"],\"name\":\""
                + full.checkpoint() + "\",\"granularity\":65536}]}}}");
        assertTrue(decide(BackupMode.MANAGED, full).note().contains("is inconsistent"));
        qemuImg.info("{}");
        assertTrue(decide(BackupMode.MANAGED, full).note().contains("is missing from"));
    }

    @Test
    void aReplacedDiskIsDrift() {
        Backup full = trees.full();
        liveBitmap(full.checkpoint(), true);
        trees.domain.xml = trees.domain.xml.replace("vm.qcow2", "other.qcow2");
        ParentChoice.Decision d = decide(BackupMode.MANAGED, full);
        assertNull(d.parent());
        assertTrue(d.note().contains("disk vda was replaced since parent"), d.note());
    }

    @Test
    void aManagedBackupNeverBuildsOnAnUnmanagedOneButAnExportMay() {
        Backup full = trees.full();
        Backup export = trees.add(null, JobState.COMPLETED, BackupMode.UNMANAGED);
        liveBitmap(export.checkpoint(), true);
        ParentChoice.Decision managed = decide(BackupMode.MANAGED, export);
        assertNull(managed.parent());
        assertTrue(managed.note().contains("is unmanaged"), managed.note());
        assertEquals(export.uuid(), decide(BackupMode.UNMANAGED, export).parent().backup().uuid());
        liveBitmap(full.checkpoint(), true);
        assertEquals(full.uuid(), decide(BackupMode.MANAGED, null, CreateFlag.INCREMENTAL).parent().backup().uuid(),
                "INCREMENTAL skips the newer unmanaged backup");
    }

    @Test
    void aParentOfAnotherDomainIsRefused() {
        Backup full = trees.full();
        BackupTrees others = new BackupTrees(tmp.resolve("other"));
        ParentChoice theirs = new ParentChoice(others.catalogue, qemuImg.qemuImg());
        others.catalogue.put(trees.catalogue.require(full.uuid()));
        BackupRequest request = new BackupRequest(null, null, full.uuid(), List.of());
        BackupException e = assertThrows(BackupException.class, () -> theirs.decide(new BackupPlan(BackupMode.MANAGED,
                others.domain, others.domain.ref(), others.domain.xml(), others.domain.disks(), request, Set.of(), null)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }
}
