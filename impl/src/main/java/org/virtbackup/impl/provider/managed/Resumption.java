package org.virtbackup.impl.provider.managed;

import static org.virtbackup.impl.provider.Resumptions.rethrowIfLibvirtIsAway;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.provider.EndedJob;
import org.virtbackup.impl.provider.nbd.NbdListener;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobResult;
import org.virtbackup.spi.JobSpec;

/**
 * What a provider instance does with a job an earlier one started: by its journal, the job
 * goes on (a pull copy is adopted, a push job watched again), or it is recorded as it ended,
 * or failed with nothing of it left running in libvirt.
 */
final class Resumption {

    private final Libvirt libvirt;
    private final QemuImg qemuImg;
    private final Path runtimeDirectory;
    private final JobThreads jobThreads;
    private final BooleanSupplier stopping;

    Resumption(Libvirt libvirt, QemuImg qemuImg, Path runtimeDirectory, JobThreads jobThreads, BooleanSupplier stopping) {
        this.libvirt = libvirt;
        this.qemuImg = qemuImg;
        this.runtimeDirectory = runtimeDirectory;
        this.jobThreads = jobThreads;
        this.stopping = stopping;
    }

    Optional<BackupJob> resume(JobSpec spec) {
        Optional<JobJournal> found = JobJournal.open(spec.directory());
        if (found.isEmpty()) {
            // Cut short between its libvirt job's start and its journal: that job may still run.
            return failed(spec, "cut short before its job was recorded" + undone(spec));
        }
        JobJournal journal = found.get();
        Optional<JobState> ended = journal.finalState();
        if (ended.isPresent()) {
            boolean images = ended.get() == JobState.COMPLETED && !spec.backup().inRepository();
            return Optional.of(new EndedJob(new JobResult(ended.get(), "", images ? spec.backup().disks().stream()
                    .map(d -> d.withStored(Paths.sizeOf(Path.of(d.target())))).toList() : spec.backup().disks())));
        }
        return switch (journal.source()) {
            // Its reads ran in the process that stopped; what it stored is collected.
            case REPOSITORY -> failed(spec, "interrupted by a restart of the service; run the backup again" + undone(spec));
            case OFFLINE_INCREMENTAL -> failed(spec, "interrupted by a restart of the service; run the backup again");
            case PUSH -> {
                PushIncrementalJob job = PushIncrementalJob.attach(spec, domain(spec), journal, stopping);
                jobThreads.start(job);
                yield Optional.of(job);
            }
            case PULL -> adoptCopy(spec, journal);
            case OFFLINE -> Optional.of(launch(new ManagedJob(spec, qemuImg, journal, null, stopping)));
        };
    }

    /** A pull job's copy goes on if libvirt still exports the disks. */
    private Optional<BackupJob> adoptCopy(JobSpec spec, JobJournal journal) {
        PullExport export;
        try {
            export = PullExport.attach(domain(spec), NbdListener.unix(socket(spec)), spec.backup().uuid().toString());
        } catch (BackupException e) {
            rethrowIfLibvirtIsAway(e);
            return failed(spec, e.getMessage());
        }
        return Optional.of(launch(new ManagedJob(spec, qemuImg, journal, export, stopping)));
    }

    /** Aborts the backup's libvirt job, if one runs (its XML names the backup), and drops its checkpoint. */
    boolean undo(JobSpec spec, LibvirtDomain domain) {
        try {
            return PullExport.endIfRunning(domain, NbdListener.unix(socket(spec)), spec.backup().uuid().toString());
        } finally {
            new Checkpoints(libvirt, qemuImg).drop(spec.backup()); // a job that stays keeps no checkpoint of ours either
        }
    }

    /** {@link #undo}, said as the end of a failed job's message. */
    private String undone(JobSpec spec) {
        try {
            return undo(spec, domain(spec)) ? "; its libvirt job was aborted" : "";
        } catch (BackupException e) {
            rethrowIfLibvirtIsAway(e);
            return "; its libvirt job could not be checked: " + e.getMessage();
        }
    }

    private static Optional<BackupJob> failed(JobSpec spec, String message) {
        return Optional.of(new EndedJob(new JobResult(JobState.FAILED, message, spec.backup().disks())));
    }

    private LibvirtDomain domain(JobSpec spec) {
        return libvirt.domain(spec.backup().domain().uuid().toString());
    }

    private ManagedJob launch(ManagedJob job) {
        jobThreads.start(job);
        return job;
    }

    Path socket(JobSpec spec) {
        return runtimeDirectory.resolve(spec.backup().uuid() + ".sock");
    }
}
