package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.JobState;
import org.virtbackup.itests.support.Images;

/** Second half of the Karaf restart test: a new Karaf finds the backup {@link KarafRestart1BackupIT} made. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KarafRestart2CatalogueIT extends KarafRestartSupport {

    @Test
    public void aNewKarafFindsTheBackupOfThePreviousOne() throws Exception {
        assertTrue("no marker from KarafRestart1BackupIT at " + marker() + ": it must run first (failsafe runOrder alphabetical)",
                Files.exists(marker()));
        List<String> lines = Files.readAllLines(marker());
        UUID uuid = UUID.fromString(lines.get(0));
        Backup backup = backupService().lookup(uuid).orElseThrow(
                () -> new AssertionError("the new Karaf does not know backup " + uuid));
        assertEquals(JobState.COMPLETED, backup.state());
        assertEquals(lines.get(1), backup.domain().name());
        assertEquals(List.of(uuid), backupService().list(lines.get(1), Set.of()).stream().map(Backup::uuid).toList());

        Path expected = Images.create(workDir().resolve("karaf-restart-expected.qcow2"), 16 * MiB);
        Images.write(expected, PATTERN, 0, 2 * MiB);
        assertIdentical(Path.of(backup.disks().get(0).target()), expected);

        backupService().delete(uuid, Set.of());
        Files.delete(marker());
        Files.delete(expected);
    }
}
