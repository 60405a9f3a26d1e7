package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Twin;

/**
 * Incremental backup trees of a running guest: every point of a chain reads as the whole disk at
 * its moment, whatever is deleted or merged around it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IncrementalIT extends BackupTestSupport {

    private static final long SIZE = 64 * MiB;

    @Test
    public void aChainOfSixAndADifferentialEachReadAsTheWholeDisk() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-chain", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            twin.write(0x10, 0, 8 * MiB);
            List<Backup> chain = new ArrayList<>();
            List<Path> expected = new ArrayList<>();
            chain.add(backup(backups, guest, null, Set.of()));
            expected.add(twin.snapshot());
            for (int i = 1; i <= 5; i++) {
                twin.write(0x10 + i, i * 8 * MiB, 2 * MiB);          // new data
                twin.write(0x80 + i, (i - 1) * MiB, 1 * MiB);       // overwrites of earlier writes
                chain.add(backup(backups, guest, chain.get(i - 1).uuid(), Set.of()));
                expected.add(twin.snapshot());
            }
            for (int i = 0; i < chain.size(); i++) {
                Backup b = chain.get(i);
                assertEquals(i == 0 ? BackupKind.FULL : BackupKind.INCREMENTAL, b.kind());
                assertEquals(i == 0 ? null : chain.get(i - 1).uuid(), b.parent());
                assertIdentical(image(b), expected.get(i));
            }
            for (Backup inc : chain.subList(1, chain.size())) {
                assertTrue("an incremental stores about what changed, not the disk: " + inc.disks().get(0).stored(),
                        inc.disks().get(0).stored() < 8 * MiB);
            }

            // A differential: the parent is an older backup; it reads as the disk now.
            twin.write(0x55, 40 * MiB, 3 * MiB);
            Backup differential = backup(backups, guest, chain.get(1).uuid(), Set.of());
            assertIdentical(image(differential), twin.snapshot());

            // The INCREMENTAL flag takes the latest backup as parent.
            twin.write(0x66, 50 * MiB, 1 * MiB);
            Backup latest = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(differential.uuid(), latest.parent());
            Path latestExpected = twin.snapshot();
            assertIdentical(image(latest), latestExpected);

            // The tree, as list and listChildren see it.
            assertEquals(List.of(chain.get(2).uuid(), differential.uuid()), uuids(backups.listChildren(chain.get(1).uuid(), Set.of())));
            assertEquals(6, backups.listChildren(chain.get(1).uuid(), EnumSet.of(ListFlag.DESCENDANTS)).size());
            assertEquals(List.of(chain.get(0).uuid()), uuids(backups.list(guest.name(), EnumSet.of(ListFlag.ROOTS))));
            assertEquals(List.of(chain.get(5).uuid(), latest.uuid()), uuids(backups.list(guest.name(), EnumSet.of(ListFlag.LEAVES))));
            assertEquals(7, backups.list(guest.name(), EnumSet.of(ListFlag.INCREMENTAL)).size());
            assertEquals(List.of(latest.uuid()), uuids(backups.list(guest.name(), EnumSet.of(ListFlag.LATEST))));

            // A backup with children is not deleted by accident.
            Backup third = chain.get(3);
            expectError(ErrorCode.HAS_CHILDREN, () -> backups.delete(third.uuid(), Set.of()));
            assertTrue(Files.exists(image(third)));

            // MERGE folds it into its child, which stays whole.
            backups.delete(third.uuid(), EnumSet.of(DeleteFlag.MERGE));
            assertTrue(backups.lookup(third.uuid()).isEmpty());
            assertFalse(guest.checkpoints().contains(third.checkpoint()));
            Backup fourth = backups.lookup(chain.get(4).uuid()).orElseThrow();
            assertEquals(chain.get(2).uuid(), fourth.parent());
            assertIdentical(image(fourth), expected.get(4));
            assertIdentical(image(chain.get(5)), expected.get(5));

            // MERGE of a root makes its child a full backup.
            backups.delete(chain.get(0).uuid(), EnumSet.of(DeleteFlag.MERGE));
            Backup first = backups.lookup(chain.get(1).uuid()).orElseThrow();
            assertEquals(BackupKind.FULL, first.kind());
            assertNull(first.parent());
            assertIdentical(image(first), expected.get(1));
            assertIdentical(image(chain.get(5)), expected.get(5));

            // ALL_CHILDREN takes the subtree; the rest stays whole.
            backups.delete(chain.get(4).uuid(), EnumSet.of(DeleteFlag.ALL_CHILDREN));
            assertTrue(backups.lookup(chain.get(5).uuid()).isEmpty());
            assertIdentical(image(latest), latestExpected);

            // ALL: nothing of the domain is left, in the catalogue or in libvirt.
            backups.delete(first.uuid(), EnumSet.of(DeleteFlag.ALL));
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            assertEquals("no checkpoint is left in libvirt", List.of(), guest.checkpoints());
        }
    }

    @Test
    public void aCheckpointDeletedBehindOurBackGivesAFullBackupOrAClearError() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-drift", 32 * MiB)) {
            guest.write(0, 0x21, 0, 1 * MiB);
            Backup full = backup(backups, guest, null, Set.of());
            Cmd.ok("virsh", "-c", Guest.URI, "checkpoint-delete", guest.name(), full.checkpoint(), "--metadata");

            expectError(ErrorCode.CHAIN_BROKEN,
                    () -> backups.create(guest.name(), (String) null, EnumSet.of(CreateFlag.STRICT_INCREMENTAL)));
            Backup fallback = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(BackupKind.FULL, fallback.kind());
            assertTrue(fallback.message(), fallback.message().contains(full.checkpoint()) && fallback.message().contains("full backup"));
            assertTrue(backups.getXmlDesc(fallback.uuid(), Set.of()).contains("a full backup was made instead"));

            // An explicit parent whose checkpoint is gone also falls back, and says so.
            Backup explicit = backup(backups, guest, full.uuid(), Set.of());
            assertEquals(BackupKind.FULL, explicit.kind());
            assertFalse(explicit.message().isEmpty());
            backups.delete(full.uuid(), EnumSet.of(DeleteFlag.ALL));
        }
    }

    @Test
    public void aBitmapThatStoppedRecordingGivesAFullBackup() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-bitmap", 32 * MiB)) {
            Backup full = backup(backups, guest, null, Set.of());
            String nodes = Cmd.ok("virsh", "-c", Guest.URI, "qemu-monitor-command", guest.name(),
                    "{\"execute\":\"query-named-block-nodes\",\"arguments\":{\"flat\":true}}");
            int at = nodes.indexOf("\"name\":\"" + full.checkpoint() + "\"");
            assertTrue(nodes, at > 0);
            Matcher node = Pattern.compile("\"node-name\":\"([^\"]+)\"")
                    .matcher(nodes.substring(0, at));
            String name = null;
            while (node.find()) {
                name = node.group(1);
            }
            Cmd.ok("virsh", "-c", Guest.URI, "qemu-monitor-command", guest.name(),
                    "{\"execute\":\"block-dirty-bitmap-disable\",\"arguments\":{\"node\":\"" + name
                            + "\",\"name\":\"" + full.checkpoint() + "\"}}");
            Backup next = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(BackupKind.FULL, next.kind());
            assertTrue(next.message(), next.message().contains("not recording"));
            backups.delete(full.uuid(), EnumSet.of(DeleteFlag.ALL));
        }
    }

    @Test
    public void aShutOffGuestGetsIncrementalsFromTheBitmapsInItsImages() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-offinc", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            twin.write(0x31, 0, 4 * MiB);
            Backup running = backup(backups, guest, null, Set.of());
            twin.write(0x32, 20 * MiB, 2 * MiB);
            twin.write(0x33, 1 * MiB, 1 * MiB);
            guest.shutOff();

            Backup offline = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(offline.message(), BackupKind.INCREMENTAL, offline.kind());
            assertEquals(running.uuid(), offline.parent());
            Path atShutdown = twin.snapshot();
            assertIdentical(image(offline), atShutdown);
            assertTrue(offline.disks().get(0).stored() < 8 * MiB);
            assertTrue("libvirt knows the offline checkpoint", guest.checkpoints().contains(offline.checkpoint()));

            Backup again = backup(backups, guest, null, EnumSet.of(CreateFlag.STRICT_INCREMENTAL));
            assertEquals(offline.uuid(), again.parent());
            assertIdentical(image(again), atShutdown);

            // Back to running: the checkpoint made offline serves a live incremental.
            guest.startIt();
            twin.write(0x34, 30 * MiB, 2 * MiB);
            Backup live = backup(backups, guest, null, EnumSet.of(CreateFlag.STRICT_INCREMENTAL));
            assertEquals(again.uuid(), live.parent());
            assertIdentical(image(live), twin.snapshot());

            // A full backup of the shut-off guest creates its checkpoint too.
            guest.shutOff();
            Backup offlineFull = backup(backups, guest, null, EnumSet.of(CreateFlag.FORCE_FULL));
            guest.startIt();
            twin.write(0x35, 40 * MiB, 1 * MiB);
            Backup afterFull = backup(backups, guest, null, EnumSet.of(CreateFlag.STRICT_INCREMENTAL));
            assertEquals(offlineFull.uuid(), afterFull.parent());
            assertIdentical(image(afterFull), twin.snapshot());

            backups.delete(running.uuid(), EnumSet.of(DeleteFlag.ALL));
            assertEquals(List.of(), guest.checkpoints());
        }
    }

    @Test
    public void aDiskAddedOrReplacedSinceTheParentGivesAFullBackup() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-disk", 32 * MiB)) {
            Backup vdaOnly = backup(backups, guest, null, Set.of());
            Path second = Images.create(guest.workDir().resolve("vdb-1.qcow2"), 16 * MiB);
            attach(guest, second);
            Backup added = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(BackupKind.FULL, added.kind());
            assertTrue(added.message(), added.message().contains("vdb"));

            // Replace vda's image under the running guest (an OS-less guest cannot hot-unplug).
            Path moved = guest.workDir().resolve("vda-moved.qcow2");
            Cmd.ok("virsh", "-c", Guest.URI, "blockcopy", guest.name(), "vda", moved.toString(), "--wait", "--pivot",
                    "--transient-job");
            Backup replaced = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(BackupKind.FULL, replaced.kind());
            assertTrue(replaced.message(), replaced.message().contains("replaced") && replaced.message().contains("vda"));
            backups.delete(vdaOnly.uuid(), EnumSet.of(DeleteFlag.ALL));
        }
    }

    private static void attach(Guest guest, Path image) {
        Cmd.ok("virsh", "-c", Guest.URI, "attach-disk", guest.name(), image.toString(), "vdb",
                "--driver", "qemu", "--subdriver", "qcow2", "--targetbus", "virtio", "--live");
    }

    private static List<UUID> uuids(List<Backup> backups) {
        return backups.stream().map(Backup::uuid).toList();
    }
}
