package org.virtbackup.impl.provider.managed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.spi.JobSpec;

/** A managed job resumed by a new instance, and stopped again. */
class ManagedJobTest {

    @TempDir
    Path tmp;

    /**
     * A resumed job whose copy ran while no instance watched it compares the image with its
     * source; a stop meanwhile kills the compare. That is no failure of the backup: the job stays
     * journaled as running, for the next instance to compare again.
     */
    @Test
    void aStopDuringTheCompareOfAResumedCopyLeavesTheJobToTheNextInstance() throws Exception {
        Path started = tmp.resolve("compare.pid");
        Path program = tmp.resolve("qemu-img");
        Files.writeString(program, "#!/bin/sh\nif [ \"$1\" = compare ]; then echo $$ > '" + started + "'; exec sleep 60; fi\nexit 0\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        QemuImg qemuImg = new QemuImg(program.toString(), 1, Duration.ofSeconds(120));

        Path dir = Files.createDirectory(tmp.resolve("backup"));
        Path target = Files.createFile(dir.resolve("vda.qcow2"));
        Backup backup = new Backup(UUID.randomUUID(), new DomainRef("vm1", UUID.randomUUID()), "",
                Instant.now(), null, null, BackupKind.FULL, BackupMode.MANAGED, JobState.RUNNING, null, "",
                List.of(new BackupDisk("vda", "qcow2", target.toString(), 4096, 0)));
        String domainXml = "<domain type='qemu'><name>vm1</name><devices><disk type='file' device='disk'>"
                + "<driver name='qemu' type='qcow2'/><source file='" + tmp.resolve("vda-source.qcow2") + "'/>"
                + "<target dev='vda' bus='virtio'/></disk></devices></domain>";
        JobJournal journal = JobJournal.create(dir, JobJournal.Source.OFFLINE);
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        journal.copying("vda", gone.pid()); // a copy that ended while no instance watched it

        AtomicBoolean stopping = new AtomicBoolean();
        ManagedJob job = new ManagedJob(new JobSpec(backup, domainXml, dir, Set.of(), null), qemuImg, journal, null,
                stopping::get);
        Thread thread = new Thread(job::run, "resumed-job");
        thread.start();
        for (int i = 0; i < 100 && !Files.exists(started); i++) {
            Thread.sleep(100);
        }
        long compare = Long.parseLong(Files.readString(started).strip());
        stopping.set(true);
        thread.interrupt(); // what JobThreads.stop does
        thread.join(TimeUnit.SECONDS.toMillis(20));

        assertFalse(thread.isAlive(), "the job returned");
        assertFalse(ProcessHandle.of(compare).map(ProcessHandle::isAlive).orElse(false), "the compare was killed");
        Optional<JobJournal> after = JobJournal.open(dir);
        assertTrue(after.isPresent(), "the journal is kept");
        assertEquals(Optional.empty(), after.get().finalState(), "the job is not recorded finished");
        assertEquals(Optional.of(gone.pid()), after.get().copyPid("vda"), "the next instance compares again");
    }
}
