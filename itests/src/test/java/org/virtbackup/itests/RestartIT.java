package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.util.tracker.ServiceTracker;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/** The catalogue and running jobs survive a restart of the implementation bundle. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RestartIT extends BackupTestSupport {

    @Test
    public void theCatalogueSurvivesARestartOfTheImplementation() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-restart", 16 * MiB)) {
            guest.write(0, 0x5a, 0, 1 * MiB);
            Backup backup = backupService().create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backupService().finishJob(backup.uuid(), Set.of()));
            Backup before = backupService().lookup(backup.uuid()).orElseThrow();

            restartImplementation();

            Backup after = backupService().lookup(backup.uuid()).orElseThrow();
            assertEquals(before, after);
            assertTrue(Images.holds(Path.of(after.disks().get(0).target()), 0x5a, 0, 1 * MiB));
            backupService().delete(backup.uuid(), Set.of());
        }
    }

    @Test
    public void aJobThatFinishedWhileTheBundleWasDownIsRecordedCompleted() throws Exception {
        try (Guest guest = Guest.startWithData(workDir(), "it-down", 4 * GiB, 3 * GiB)) {
            guest.write(0, 0x5a, 0, 4 * MiB);
            Backup backup = backupService().create(guest.name(), (String) null, Set.of());
            guest.write(0, 0xa5, 0, 4 * MiB);
            Path dir = Path.of(backup.disks().get(0).target()).getParent();

            Bundle impl = implementationBundle();
            impl.stop();
            assertTrue("the copy goes on without the bundle", !copiesOf(dir).isEmpty());
            waitUntil("the copy ends while the bundle is down", 300, () -> copiesOf(dir).isEmpty());
            assertTrue(Files.exists(Path.of(backup.disks().get(0).target())));
            impl.start();

            BackupService service = backupService();
            assertEquals(JobState.COMPLETED, service.finishJob(backup.uuid(), Set.of()));
            Backup done = service.lookup(backup.uuid()).orElseThrow();
            assertEquals(JobState.COMPLETED, done.state());
            assertNoLibvirtJob(guest.name());
            assertBackupEqualsSourceWithPattern(guest, done, 0x5a);
            service.delete(backup.uuid(), Set.of());
        }
    }

    @Test
    public void aJobCutShortBeforeItsJournalLeavesNothingInLibvirtAndTheDomainFree() throws Exception {
        try (Guest guest = Guest.startWithData(workDir(), "it-nojournal", 4 * GiB, 3 * GiB)) {
            Backup backup = backupService().create(guest.name(), (String) null, Set.of());
            Path dir = Path.of(backup.disks().get(0).target()).getParent();
            Bundle impl = implementationBundle();
            impl.stop();
            // As if the service had died between libvirt's job start and its journal.
            Files.delete(dir.resolve(".job"));
            impl.start();

            BackupService service = backupService();
            awaitFailed(service, backup.uuid(), "cut short before its job was recorded");
            assertNoLibvirtJob(guest.name());
            assertFalse("its checkpoint is gone", guest.checkpoints().contains(backup.checkpoint()));
            waitUntil("its copy ends", 60, () -> copiesOf(dir).isEmpty());
            assertFalse(Files.exists(Path.of(backup.disks().get(0).target())));

            // The domain is not left busy: the next backup runs, and holds the disk.
            guest.write(0, 0x5a, 0, 4 * MiB);
            Backup next = service.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, service.finishJob(next.uuid(), Set.of()));
            assertBackupEqualsSourceWithPattern(guest, service.lookup(next.uuid()).orElseThrow(), 0x5a);
            service.delete(next.uuid(), Set.of());
            service.delete(backup.uuid(), Set.of());
        }
    }

    @Test
    public void aJobStillRunningIsTakenOverByTheRestartedBundle() throws Exception {
        try (Guest guest = Guest.startWithData(workDir(), "it-swap", 4 * GiB, 3 * GiB)) {
            guest.write(0, 0x5a, 0, 4 * MiB);
            Backup backup = backupService().create(guest.name(), (String) null, Set.of());
            Path dir = Path.of(backup.disks().get(0).target()).getParent();

            restartImplementation();
            BackupService service = backupService();
            assertEquals(JobState.RUNNING, service.finishJob(backup.uuid(), EnumSet.of(FinishJobFlag.CHECK)));
            assertEquals(JobState.COMPLETED, service.finishJob(backup.uuid(), Set.of()));
            assertTrue(copiesOf(dir).isEmpty());
            guest.write(0, 0xa5, 0, 4 * MiB);
            assertBackupEqualsSourceWithPattern(guest, service.lookup(backup.uuid()).orElseThrow(), 0x5a);
            service.delete(backup.uuid(), Set.of());
        }
    }

    @Test
    public void anUpdateOfTheImplementationMidJobIsSeenByConsumersAsTheServiceComingBack() throws Exception {
        ServiceTracker<BackupService, BackupService> consumer = new ServiceTracker<>(bundleContext, BackupService.class, null);
        consumer.open();
        try (Guest guest = Guest.startWithData(workDir(), "it-update", 4 * GiB, 3 * GiB)) {
            guest.write(0, 0x5a, 0, 4 * MiB);
            Backup backup = consumer.waitForService(SERVICE_TIMEOUT_MS).create(guest.name(), (String) null, Set.of());
            int before = consumer.getTrackingCount();

            implementationBundle().update(); // a platform installing a new build of the implementation
            BackupService after = consumer.waitForService(SERVICE_TIMEOUT_MS);
            assertTrue("the consumer saw the service go and come back", consumer.getTrackingCount() >= before + 2);
            assertEquals(JobState.COMPLETED, after.finishJob(backup.uuid(), Set.of()));
            guest.write(0, 0xa5, 0, 4 * MiB);
            assertBackupEqualsSourceWithPattern(guest, after.lookup(backup.uuid()).orElseThrow(), 0x5a);
            after.delete(backup.uuid(), Set.of());
        } finally {
            consumer.close();
        }
    }

    @Test
    public void anIncrementalJobRunningThroughARestartIsRecordedCompleted() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-swapinc", 2 * GiB)) {
            Backup full = backupService().create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backupService().finishJob(full.uuid(), Set.of()));
            // Enough dirty data for libvirt's job to outlast the restart of the bundle.
            guest.write(0, 0x77, 0, 1536 * MiB);
            Backup inc = backupService().create(guest.name(),
                    "<domainbackup><parent><uuid>" + full.uuid() + "</uuid></parent></domainbackup>", Set.of());

            restartImplementation();

            BackupService service = backupService();
            assertEquals(JobState.COMPLETED, service.finishJob(inc.uuid(), Set.of()));
            Backup done = service.lookup(inc.uuid()).orElseThrow();
            assertEquals(org.virtbackup.api.BackupKind.INCREMENTAL, done.kind());
            Path expected = Images.create(guest.workDir().resolve("expected-inc.qcow2"), 2 * GiB);
            Images.write(expected, 0x77, 0, 1536 * MiB);
            assertIdentical(Path.of(done.disks().get(0).target()), expected);
            service.delete(full.uuid(), EnumSet.of(org.virtbackup.api.DeleteFlag.ALL_CHILDREN));
        }
    }

    /** The source of {@link Guest#startWithData} plus {@code pattern} over its first 4 MiB. */
    private static void assertBackupEqualsSourceWithPattern(Guest guest, Backup backup, int pattern) throws Exception {
        Path expected = guest.expectedImage("expected.qcow2");
        Images.write(expected, pattern, 0, 4 * MiB);
        assertIdentical(Path.of(backup.disks().get(0).target()), expected);
    }
}
