package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.JobState;
import org.virtbackup.itests.support.Guest;

/**
 * First half of the Karaf restart test: this Karaf makes a backup into a target directory that
 * outlives it and leaves the backup's UUID for {@link KarafRestart2CatalogueIT}, which runs in a
 * new Karaf (failsafe runs the classes in alphabetical order, each in its own container).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KarafRestart1BackupIT extends KarafRestartSupport {

    @Test
    public void backUpAndLeaveTheUuidForTheNextKaraf() throws Exception {
        Files.deleteIfExists(marker());
        try (Guest guest = Guest.start(workDir(), "it-karaf", 16 * MiB)) {
            guest.write(0, PATTERN, 0, 2 * MiB);
            Backup backup = backupService().create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backupService().finishJob(backup.uuid(), Set.of()));
            Files.writeString(marker(), backup.uuid() + "\n" + guest.name() + "\n");
        }
    }
}
