package org.virtbackup.impl.provider.managed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

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

/**
 * A managed job resumed by a new instance: its copy ended while no instance watched it, so it
 * compares the image with its source (a qemu-img script here), and the provider stops again.
 */
class ManagedJobTest {

    @TempDir
    Path tmp;

    private final AtomicBoolean stopping = new AtomicBoolean();
    private Path dir;
    private long endedCopy;

    /** The resumed job, its qemu-img answering {@code compare} with the shell lines given. */
    private ManagedJob resumedJob(String compare) throws Exception {
        JobJournal journal = newJob("if [ \"$1\" = compare ]; then\n" + compare + "\nfi\nexit 0");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        endedCopy = gone.pid();
        journal.copying("vda", endedCopy); // a copy that ended while no instance watched it
        return job(journal, stopping::get);
    }

    /** A new job's journal, in {@link #dir}; its qemu-img the shell lines given. */
    private JobJournal newJob(String qemuImg) throws Exception {
        Path program = tmp.resolve("qemu-img");
        Files.writeString(program, "#!/bin/sh\n" + qemuImg + "\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        dir = Files.createDirectory(tmp.resolve("backup"));
        return JobJournal.create(dir, JobJournal.Source.OFFLINE);
    }

    private ManagedJob job(JobJournal journal, BooleanSupplier stopping) throws Exception {
        Path target = Files.createFile(dir.resolve("vda.qcow2"));
        Backup backup = new Backup(UUID.randomUUID(), new DomainRef("vm1", UUID.randomUUID()), "",
                Instant.now(), null, null, BackupKind.FULL, BackupMode.MANAGED, JobState.RUNNING, null, "",
                List.of(new BackupDisk("vda", "qcow2", target.toString(), 4096, 0)));
        String domainXml = "<domain type='qemu'><name>vm1</name><devices><disk type='file' device='disk'>"
                + "<driver name='qemu' type='qcow2'/><source file='" + tmp.resolve("vda-source.qcow2") + "'/>"
                + "<target dev='vda' bus='virtio'/></disk></devices></domain>";
        return new ManagedJob(new JobSpec(backup, domainXml, dir, Set.of(), null),
                new QemuImg(tmp.resolve("qemu-img").toString(), 1, Duration.ofSeconds(120)), journal, null, stopping);
    }

    @Test
    void aStopDuringTheCompareLeavesTheJobToTheNextInstance() throws Exception {
        Path pid = tmp.resolve("compare.pid");
        ManagedJob job = resumedJob("echo $$ > '" + pid + ".new'; mv '" + pid + ".new' '" + pid + "'; exec sleep 60");
        Thread thread = new Thread(job::run, "resumed-job");
        thread.start();
        for (int i = 0; i < 100 && !Files.exists(pid); i++) {
            Thread.sleep(100);
        }
        ProcessHandle compare = ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).orElseThrow();
        stopping.set(true);
        thread.interrupt(); // what JobThreads.stop does
        thread.join(TimeUnit.SECONDS.toMillis(20));

        assertFalse(thread.isAlive(), "the job returned");
        compare.onExit().get(10, TimeUnit.SECONDS); // killed: else this times out
        JobJournal after = JobJournal.open(dir).orElseThrow();
        assertEquals(Optional.empty(), after.finalState(), "the job is not recorded finished");
        assertEquals(Optional.of(endedCopy), after.copyPid("vda"), "the next instance compares again");
    }

    @Test
    void aFailureTheStopDidNotCauseIsRecorded() throws Exception {
        ManagedJob job = resumedJob("echo 'cannot read the source' >&2; exit 2");
        stopping.set(true); // the provider stops, but has not interrupted this job yet
        job.run();
        assertEquals(Optional.of(JobState.FAILED), JobJournal.open(dir).orElseThrow().finalState());
    }

    /**
     * The journal cannot take the pid of the copy just started (its name is taken by a directory)
     * as the provider stops: the job leaves the journal for the next instance, which would start
     * a copy of its own, so this copy must not outlive the job.
     */
    @Test
    void aCopyTheJournalCouldNotRecordDoesNotOutliveAStop() throws Exception {
        JobJournal journal = newJob("exec sleep 600"); // the copy: runs until killed
        Path journalFile = dir.resolve(JobJournal.NAME);
        AtomicBoolean asked = new AtomicBoolean();
        BooleanSupplier stopArrives = () -> {
            if (asked.compareAndSet(false, true)) { // the check before the copy starts: the stop comes just after it
                try {
                    Files.delete(journalFile); // its next write cannot replace a directory that is not empty
                    Files.createDirectories(journalFile.resolve("taken"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                stopping.set(true);
                Thread.currentThread().interrupt(); // what JobThreads.stop does
                return false;
            }
            return stopping.get();
        };
        try {
            job(journal, stopArrives).run();
        } finally {
            Thread.interrupted();
        }

        // the write that failed left its temporary: the pid of the copy the job started
        Properties attempted = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve("." + JobJournal.NAME + ".tmp"))) {
            attempted.load(in);
        }
        long copy = Long.parseLong(attempted.getProperty("pid.vda"));
        Optional<ProcessHandle> running = ProcessHandle.of(copy);
        try {
            if (running.isPresent()) {
                running.get().onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (TimeoutException e) {
            throw new AssertionError("the copy the journal does not name (pid " + copy + ") outlived the job", e);
        } finally {
            running.ifPresent(ProcessHandle::destroyForcibly);
        }
        assertEquals(Optional.empty(), journal.copyPid("vda"), "the journal does not claim the copy it could not write");
        assertTrue(Files.isDirectory(journalFile), "nothing was recorded after: the next instance resumes the job");
    }
}
