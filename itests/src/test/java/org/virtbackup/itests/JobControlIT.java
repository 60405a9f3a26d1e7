package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.itests.support.Guest;

/** Cancelling, one job per domain, and bad input: each a clear error, nothing written. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class JobControlIT extends BackupTestSupport {

    @Test
    public void aGuestShutDownMidBackupFailsItWithTheReasonAndLeavesNothing() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.startWithData(workDir(), "it-shutdown", 4 * GiB, 3 * GiB)) {
            Path atStart = guest.expectedImage("at-start.qcow2");
            Backup backup = backups.create(guest.name(), (String) null, Set.of());
            Path dir = Path.of(backup.disks().get(0).target()).getParent();
            guest.shutOff(); // mid-copy: the QEMU serving the pull-mode export goes with the guest

            JobState state = backups.finishJob(backup.uuid(), Set.of());
            Backup ended = backups.lookup(backup.uuid()).orElseThrow();
            if (state == JobState.COMPLETED) {
                // The copy won the race: the backup holds the disk as it was at its start.
                assertIdentical(Path.of(ended.disks().get(0).target()), atStart);
            } else {
                assertEquals(JobState.FAILED, state);
                assertTrue(ended.message(), ended.message().contains("the domain stopped during the backup"));
                assertFalse("its image is gone", Files.exists(Path.of(backup.disks().get(0).target())));
                assertTrue("its checkpoint is gone", guest.checkpoints().isEmpty());
                waitUntil("its copy ends", 60, () -> copiesOf(dir).isEmpty());
            }
            // Shut off, the domain backs up from its image, whole.
            Backup offline = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(offline.uuid(), Set.of()));
            assertIdentical(Path.of(backups.lookup(offline.uuid()).orElseThrow().disks().get(0).target()), atStart);
            backups.delete(offline.uuid(), Set.of());
            backups.delete(backup.uuid(), Set.of());
        }
    }

    @Test
    public void cancelLeavesNothingBehindAndFreesTheDomain() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.startWithData(workDir(), "it-cancel", 4 * GiB, 3 * GiB)) {
            List<String> before = filesUnder(targetRoot());
            Backup backup = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.RUNNING, backups.finishJob(backup.uuid(), EnumSet.of(FinishJobFlag.CHECK)));
            Path dir = Path.of(backup.disks().get(0).target()).getParent();

            assertEquals(JobState.CANCELLED, backups.finishJob(backup.uuid(), EnumSet.of(FinishJobFlag.CANCEL)));

            assertTrue("a cancelled backup is not in the catalogue", backups.lookup(backup.uuid()).isEmpty());
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            assertFalse("its directory is gone", Files.exists(dir));
            assertEquals("nothing of it stays on disk", before, filesUnder(targetRoot()));
            assertTrue("no copy process is left", copiesOf(dir).isEmpty());
            assertNoLibvirtJob(guest.name());
            assertTrue("its checkpoint is gone", guest.checkpoints().isEmpty());

            // The domain is free again: a new backup starts and completes.
            Backup next = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(next.uuid(), Set.of()));
            backups.delete(next.uuid(), Set.of());
        }
    }

    @Test
    public void aBusyDomainRefusesASecondBackup() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.startWithData(workDir(), "it-busy", 4 * GiB, 3 * GiB)) {
            Backup first = backups.create(guest.name(), (String) null, Set.of());
            try {
                // The first job writes on meanwhile: look at everything but its directory.
                Path firstDir = Path.of(first.disks().get(0).target()).getParent();
                List<String> before = filesUnder(targetRoot(), firstDir);
                BackupException e = expectError(ErrorCode.DOMAIN_BUSY,
                        () -> backups.create(guest.name(), (String) null, Set.of()));
                assertTrue(e.getMessage(), e.getMessage().contains(first.uuid().toString()));
                assertEquals("the refused backup wrote nothing", before, filesUnder(targetRoot(), firstDir));
                assertEquals(1, backups.list(guest.name(), Set.of()).size());
            } finally {
                backups.finishJob(first.uuid(), EnumSet.of(FinishJobFlag.CANCEL));
            }
        }
    }

    @Test
    public void badInputGetsAClearErrorAndWritesNothing() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-bad", 16 * MiB)) {
            List<String> before = filesUnder(targetRoot());
            int listed = backups.list(null, Set.of()).size();

            BackupException noDomain = expectError(ErrorCode.NO_DOMAIN,
                    () -> backups.create("it-no-such-domain", (String) null, Set.of()));
            assertTrue(noDomain.getMessage(), noDomain.getMessage().contains("it-no-such-domain"));

            BackupException noDisk = expectError(ErrorCode.NO_DISK, () -> backups.create(guest.name(),
                    "<domainbackup><disks><disk name='vdz'/></disks></domainbackup>", Set.of()));
            assertTrue(noDisk.getMessage(), noDisk.getMessage().contains("vdz"));
            assertTrue("names the disks there are: " + noDisk.getMessage(), noDisk.getMessage().contains("vda"));

            BackupException malformed = expectError(ErrorCode.INVALID_XML,
                    () -> backups.create(guest.name(), "<domainbackup><description>x</domainbackup>", Set.of()));
            assertTrue(malformed.getMessage(), malformed.getMessage().contains("description"));

            // The proposal's own example, with its unclosed <parent>.
            BackupException proposal = expectError(ErrorCode.INVALID_XML, () -> backups.create(guest.name(),
                    "<domainbackup>\n<uuid>54c70d40-26bb-48cd-9639-b3a1e9adf650</uuid>\n<description>Any string</description>\n"
                            + "<parent>\n<uuid>d2ee2566-bef2-408f-ac7a-eb8004186074</uuid>\n<parent>\n<disks>\n"
                            + "<disk name='vda'>\n</disk>\n</disks>\n</domainbackup>", Set.of()));
            assertTrue(proposal.getMessage(), proposal.getMessage().contains("parent"));

            BackupException invalid = expectError(ErrorCode.INVALID_XML, () -> backups.create(guest.name(),
                    "<domainbackup><disks><disk name='vda' colour='red'/></disks></domainbackup>", Set.of()));
            assertTrue(invalid.getMessage(), invalid.getMessage().contains("colour"));

            Path secret = Files.writeString(guest.workDir().resolve("secret.txt"), "TOP-SECRET-CONTENT");
            BackupException entity = expectError(ErrorCode.INVALID_XML, () -> backups.create(guest.name(),
                    "<!DOCTYPE domainbackup [<!ENTITY s SYSTEM 'file://" + secret + "'>]>"
                            + "<domainbackup><description>&s;</description></domainbackup>", Set.of()));
            assertTrue(entity.getMessage(), entity.getMessage().contains("DOCTYPE"));
            assertFalse(entity.getMessage().contains("TOP-SECRET"));

            assertEquals("nothing was written", before, filesUnder(targetRoot()));
            assertEquals(listed, backups.list(null, Set.of()).size());
        }
    }
}
