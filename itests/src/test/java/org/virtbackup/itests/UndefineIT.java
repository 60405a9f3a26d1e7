package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.api.UndefineFlag;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/** undefineDomain: refused while backups exist, unless told to delete them or to keep them. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UndefineIT extends BackupTestSupport {

    private static final long SIZE = 32 * MiB;

    @Test
    public void refusedWithBackupsThenKeptBackupsStillRestore() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-undef-keep", SIZE)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), SIZE);
            guest.write(0, 0x3c, 2 * MiB, 5 * MiB);
            Images.write(expected, 0x3c, 2 * MiB, 5 * MiB);
            Backup b = backup(backups, guest);

            String refused = expectError(ErrorCode.INVALID_STATE, () -> backups.undefineDomain(guest.name(), Set.of()))
                    .getMessage();
            assertTrue(refused, refused.contains("BACKUPS") && refused.contains("KEEP_BACKUPS"));
            assertTrue("still defined", defined(guest.name()));
            expectError(ErrorCode.INVALID_ARGUMENT, () -> backups.undefineDomain(guest.name(),
                    EnumSet.of(UndefineFlag.BACKUPS, UndefineFlag.KEEP_BACKUPS)));

            Cmd.ok("virsh", "-c", Guest.URI, "destroy", guest.name());
            backups.undefineDomain(guest.name(), EnumSet.of(UndefineFlag.KEEP_BACKUPS));
            assertFalse("undefined", defined(guest.name()));
            assertEquals(List.of(b.uuid()), backups.list(guest.name(), Set.of()).stream().map(Backup::uuid).toList());
            assertTrue(Files.exists(Path.of(b.disks().get(0).target())));

            String name = "it-undef-restored-" + UUID.randomUUID().toString().substring(0, 8);
            Path out = scratchDir("undefine");
            try {
                RestoreResult r = backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid><domainName>" + name
                        + "</domainName><disks><disk name='vda'><target file='" + out.resolve(name + ".qcow2")
                        + "'/></disk></disks></domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN));
                assertEquals(name, r.domain().name());
                assertNotEquals(b.domain().uuid(), r.domain().uuid());
                assertIdentical(out.resolve(name + ".qcow2"), expected);
            } finally {
                Cmd.run("virsh", "-c", Guest.URI, "undefine", name);
            }
            backups.delete(b.uuid(), Set.of());
        }
    }

    @Test
    public void withBackupsTheDomainItsBackupsAndCheckpointsGo() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-undef-all", SIZE)) {
            guest.write(0, 0x4d, 0, 1 * MiB);
            Backup full = backup(backups, guest);
            guest.write(0, 0x4e, 4 * MiB, 1 * MiB);
            Backup inc = backups.create(guest.name(), "<domainbackup><parent><uuid>" + full.uuid()
                    + "</uuid></parent></domainbackup>", Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(inc.uuid(), Set.of()));
            Path dir = Path.of(full.disks().get(0).target()).getParent().getParent();
            assertEquals(2, guest.checkpoints().size());

            backups.undefineDomain(guest.name(), EnumSet.of(UndefineFlag.BACKUPS));
            assertTrue("a running domain is left transient, as by libvirt's undefine",
                    Cmd.ok("virsh", "-c", Guest.URI, "dominfo", guest.name()).matches("(?s).*Persistent:\\s+no.*"));
            Cmd.ok("virsh", "-c", Guest.URI, "destroy", guest.name());
            assertFalse("gone once it stops", defined(guest.name()));
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            assertTrue(backups.lookup(full.uuid()).isEmpty());
            assertEquals("nothing of the backups stays on disk", List.of(), filesUnder(dir));
            expectError(ErrorCode.NO_DOMAIN, () -> backups.undefineDomain(guest.name(), Set.of()));
        }
    }

    private static Backup backup(BackupService backups, Guest guest) {
        Backup b = backups.create(guest.name(), (String) null, Set.of());
        assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
        return backups.lookup(b.uuid()).orElseThrow();
    }

    private static boolean defined(String name) {
        return Cmd.run("virsh", "-c", Guest.URI, "dominfo", name).exitCode() == 0;
    }
}
