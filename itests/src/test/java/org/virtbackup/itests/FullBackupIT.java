package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.api.XmlFlag;
import org.virtbackup.itests.support.Acls;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/**
 * Full managed backups of real guests through the BackupService of the installed feature:
 * the bytes of each backup must equal the guest's disk at the backup's moment.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FullBackupIT extends BackupTestSupport {

    @Test
    public void aRunningGuestsBackupHoldsItsDiskAsItWasAtTheStart() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-full", 64 * MiB)) {
            guest.write(0, 0x5a, 0, 4 * MiB);
            guest.write(0, 0x33, 40 * MiB, 1 * MiB);

            Backup backup = backups.create(guest.name(), (String) null, Set.of());
            assertEquals("create returns at once with the job running", JobState.RUNNING, backup.state());
            // After the backup's moment: must not reach the backup, even while it is copied.
            guest.write(0, 0xa5, 0, 4 * MiB);
            assertEquals(JobState.COMPLETED, backups.finishJob(backup.uuid(), Set.of()));

            Backup done = backups.lookup(backup.uuid()).orElseThrow();
            assertEquals(JobState.COMPLETED, done.state());
            Path image = Path.of(done.disks().get(0).target());
            assertTrue("the backup holds the first pattern", Images.holds(image, 0x5a, 0, 4 * MiB));
            assertFalse("the backup does not hold the later write", Images.holds(image, 0xa5, 0, 4 * MiB));

            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), 64 * MiB);
            Images.write(expected, 0x5a, 0, 4 * MiB);
            Images.write(expected, 0x33, 40 * MiB, 1 * MiB);
            assertIdentical(image, expected);

            assertEquals("rw-------", mode(image));
            assertEquals("rw-------", mode(image.resolveSibling("backup.xml")));
            assertEquals("rwx------", mode(image.getParent()));
            assertEquals("root", Files.getOwner(image).getName());
            // QEMU runs as libvirt-qemu, as on a Debian host; it may pass through the domain's
            // directory (an incremental's push job writes there), and nothing more.
            assertEquals("libvirt-qemu", guest.qemuUser());
            assertEquals("rwx--x---", mode(image.getParent().getParent()));
            assertEquals(List.of("user:libvirt-qemu:--x"), Acls.named(image.getParent().getParent()));
            assertEquals("once its job ended, the backup's own directory is root's alone", List.of(),
                    Acls.named(image.getParent()));

            String xml = backups.getXmlDesc(backup.uuid(), Set.of());
            assertTrue(xml, xml.contains("<creationTime>" + backup.creationTime().getEpochSecond()));
            assertTrue(xml, xml.contains("<uuid>" + backup.uuid() + "</uuid>"));
            assertTrue("the domain XML is kept with the backup: " + xml, xml.contains("<name>" + guest.name() + "</name>"));
            String bare = backups.getXmlDesc(backup.uuid(), EnumSet.of(XmlFlag.NO_DOMAIN));
            assertFalse(bare, bare.contains("<devices>"));

            assertEquals(guest.name(), backups.getDomain(backup.uuid()).name());
            Map<String, Object> params = backups.getParameters(backup.uuid());
            assertEquals(params.toString(), "COMPLETED", params.get(BackupParameters.STATE));
            assertEquals(params.toString(), 64 * MiB, params.get(BackupParameters.BYTES_TOTAL));
            assertEquals(params.toString(), 64 * MiB, params.get(BackupParameters.BYTES_PROCESSED));
            assertEquals(params.toString(), 0L, params.get(BackupParameters.BYTES_REMAINING));
            assertEquals(params.toString(), Files.size(image), params.get(BackupParameters.BYTES_STORED));

            backups.delete(backup.uuid(), Set.of());
            assertTrue(backups.lookup(backup.uuid()).isEmpty());
            assertFalse("delete removes the files", Files.exists(image.getParent()));
        }
    }

    @Test
    public void onlyTheDisksNamedInTheXmlAreBackedUp() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-disks", 32 * MiB, 48 * MiB)) {
            guest.write(0, 0x11, 0, 2 * MiB);
            guest.write(1, 0x22, 8 * MiB, 2 * MiB);
            Backup backup = backups.create(guest.name(),
                    "<domainbackup><description>vdb only</description><disks><disk name='vdb'/></disks></domainbackup>",
                    Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(backup.uuid(), Set.of()));
            Backup done = backups.lookup(backup.uuid()).orElseThrow();
            assertEquals(List.of("vdb"), done.disks().stream().map(BackupDisk::name).toList());
            assertEquals("vdb only", done.description());
            assertEquals(48 * MiB, done.disks().get(0).capacity());

            Path expected = Images.create(guest.workDir().resolve("expected-vdb.qcow2"), 48 * MiB);
            Images.write(expected, 0x22, 8 * MiB, 2 * MiB);
            assertIdentical(Path.of(done.disks().get(0).target()), expected);
            backups.delete(backup.uuid(), Set.of());
        }
    }

    @Test
    public void aShutOffGuestIsBackedUpFromItsImages() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-off", 32 * MiB)) {
            guest.write(0, 0x5a, 1 * MiB, 3 * MiB);
            guest.shutOff();

            Backup first = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(first.uuid(), Set.of()));
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), 32 * MiB);
            Images.write(expected, 0x5a, 1 * MiB, 3 * MiB);
            assertIdentical(Path.of(backups.lookup(first.uuid()).orElseThrow().disks().get(0).target()), expected);

            Backup second = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(second.uuid(), Set.of()));

            List<UUID> all = uuids(backups.list(guest.name(), Set.of()));
            assertEquals(List.of(first.uuid(), second.uuid()), all);
            assertEquals(all, uuids(backups.list(guest.name(), EnumSet.of(ListFlag.FULL))));
            assertEquals(List.of(second.uuid()), uuids(backups.list(guest.name(), EnumSet.of(ListFlag.LATEST))));
            UUID domainUuid = backups.getDomain(first.uuid()).uuid();
            assertEquals("a domain can be named by UUID", all, uuids(backups.list(domainUuid.toString(), Set.of())));
            assertTrue(uuids(backups.list(null, Set.of())).containsAll(all));
            assertTrue(backups.list(null, EnumSet.of(ListFlag.ACTIVE)).stream().noneMatch(b -> all.contains(b.uuid())));

            backups.delete(first.uuid(), Set.of());
            assertEquals(List.of(second.uuid()), uuids(backups.list(guest.name(), Set.of())));
            backups.delete(second.uuid(), Set.of());
        }
    }

    @Test
    public void unknownBackupsAreClearErrors() {
        BackupService backups = backupService();
        UUID nobody = UUID.randomUUID();
        assertTrue(backups.lookup(nobody).isEmpty());
        for (Runnable call : List.<Runnable>of(() -> backups.getDomain(nobody),
                () -> backups.getXmlDesc(nobody, Set.of()), () -> backups.getParameters(nobody),
                () -> backups.finishJob(nobody, Set.of()), () -> backups.delete(nobody, Set.of()))) {
            BackupException e = expectError(ErrorCode.NO_BACKUP, call);
            assertTrue(e.getMessage(), e.getMessage().contains(nobody.toString()));
        }
    }

    private static List<UUID> uuids(List<Backup> backups) {
        return backups.stream().map(Backup::uuid).toList();
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
