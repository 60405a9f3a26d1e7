package org.virtbackup.impl.provider.managed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.JobStats;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.storage.NoSpace;
import org.virtbackup.impl.xml.SafeXml;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobSpec;

/**
 * An incremental backup of a running domain: each disk's image is a qcow2 overlay whose backing
 * file is the parent's image, and QEMU's own backup job (libvirt push mode, reusing those
 * overlays) writes into it only the clusters its parent's checkpoint saw written. So the cost
 * follows the dirty data, and every point of a chain reads as the whole disk.
 */
final class PushIncrementalJob extends JournaledJob {

    /**
     * libvirt-java binds no job-completed event, so the job is polled. An incremental job often
     * lasts a fraction of a second: the first half second is polled every 5 ms (a cheap call),
     * then ever less often, up to every 100 ms for long jobs.
     */
    private static final long FIRST_POLL_MS = 5;
    private static final long FAST_POLLING_MS = 500;
    private static final long MAX_POLL_MS = 100;
    /** How long libvirt may not answer (libvirtd restarting) before a running job is failed. */
    private static final long LIBVIRT_OUTAGE_NANOS = 60_000_000_000L;

    /** libvirt's VIR_DOMAIN_JOB_OPERATION_BACKUP, the "operation" of a job's statistics. */
    private static final long BACKUP_OPERATION = 9;

    private final JobSpec spec;
    private final LibvirtDomain domain;
    private final BooleanSupplier stopping;
    private volatile JobProgress progress;
    private volatile boolean cancelled;
    /** Taken over after a restart: the domain's job may be another's by now. */
    private final boolean attached;

    private PushIncrementalJob(JobSpec spec, LibvirtDomain domain, JobJournal journal, BooleanSupplier stopping,
            boolean attached) {
        super(journal);
        this.spec = spec;
        this.domain = domain;
        this.stopping = stopping;
        this.attached = attached;
        this.progress = new JobProgress(0, 0);
    }

    /** Creates the overlays and starts libvirt's job; returns once it runs. */
    static PushIncrementalJob begin(JobSpec spec, LibvirtDomain domain, QemuImg qemuImg, boolean quiesce,
            BooleanSupplier stopping, FaultPoints faults) {
        Backup parent = spec.parent();
        List<DomainDisk> all = DomainXml.disks(spec.domainXml());
        Set<String> chosen = new HashSet<>();
        StringBuilder xml = new StringBuilder("<domainbackup mode='push'>\n  <incremental>")
                .append(SafeXml.escape(parent.checkpoint())).append("</incremental>\n  <disks>\n");
        for (BackupDisk disk : spec.backup().disks()) {
            Path image = Overlays.create(qemuImg, disk, parent);
            chosen.add(disk.name());
            xml.append("    <disk name='").append(SafeXml.escape(disk.name())).append("' backup='yes' type='file'><target file='")
                    .append(SafeXml.escape(image.toString())).append("'/><driver type='qcow2'/></disk>\n");
        }
        for (DomainDisk d : all) {
            if (!chosen.contains(d.name())) {
                xml.append("    <disk name='").append(SafeXml.escape(d.name())).append("' backup='no'/>\n");
            }
        }
        xml.append("  </disks>\n</domainbackup>\n");
        String checkpoint = Checkpoints.xml(spec.backup().checkpoint(), all, chosen);
        domain.beginBackup(xml.toString(), checkpoint, true, quiesce);
        faults.reach("create.before-journal");
        JobJournal journal = JobJournal.create(spec.directory(), JobJournal.Source.PUSH);
        faults.reach("create.after-journal");
        return new PushIncrementalJob(spec, domain, journal, stopping, false);
    }

    /** Takes over a job that began before a restart. */
    static PushIncrementalJob attach(JobSpec spec, LibvirtDomain domain, JobJournal journal, BooleanSupplier stopping) {
        return new PushIncrementalJob(spec, domain, journal, stopping, true);
    }

    @Override
    public JobProgress progress() {
        return progress;
    }

    @Override
    public void cancel() {
        cancelled = true;
        try {
            if (!domain.jobStats(false).isNone()) {
                domain.abortJob();
            }
        } catch (BackupException e) {
            // ended meanwhile: run() reports how
        }
    }

    @Override
    void abandon(String reason) {
        String message = reason;
        try {
            // Ours only: once ours ended, or after a restart, the domain's job may be another's (a migration).
            if (isOurs()) {
                domain.abortJob(); // else it would write on into overlays the failed backup's record deletes
            }
        } catch (RuntimeException | Error e) {
            message += "; its libvirt job may still run and could not be aborted (" + e + "): virsh domjobabort "
                    + spec.backup().domain().name();
        }
        finish(cancelled ? JobState.CANCELLED : JobState.FAILED, message);
    }

    /** Polls libvirt until the job ends: one cheap call per poll. */
    @Override
    void run() {
        try {
            if (attached && !isOurs()) {
                recordEndSeenAfterwards();
                return;
            }
            JobStats stats;
            long started = System.nanoTime();
            long pollMs = FIRST_POLL_MS;
            while (!(stats = statsRidingOutLibvirt()).isNone()) {
                progress = new JobProgress(stats.value("disk_total"), stats.value("disk_processed"));
                Thread.sleep(pollMs);
                if (System.nanoTime() - started > FAST_POLLING_MS * 1_000_000) {
                    pollMs = Math.min(MAX_POLL_MS, pollMs + pollMs / 4 + 1);
                }
            }
            recordEnd();
        } catch (InterruptedException e) {
            if (!stopping.getAsBoolean()) {
                finish(JobState.FAILED, "interrupted");
            }
            // else: the provider is being replaced; libvirt's job goes on and the next one attaches
        } catch (RuntimeException e) {
            finish(cancelled ? JobState.CANCELLED : JobState.FAILED, e.getMessage());
        }
    }

    /**
     * The job ended while no one watched (the service was down): libvirt's last completed job is
     * taken for it only if it can be: a backup, with this backup's checkpoint in place (another
     * tool's backup would have come after; one that makes no checkpoint is not told apart).
     */
    private void recordEndSeenAfterwards() {
        JobStats done = domain.jobStats(true);
        String operation = done.text("operation");
        if (!operation.isEmpty() && done.value("operation") != BACKUP_OPERATION) {
            finish(JobState.FAILED, "the incremental backup job ended while the service was down, and the last job "
                    + "libvirt recorded is another operation (" + operation + "): its end cannot be told; run it again");
        } else if (!Checkpoints.exists(domain, spec.backup().checkpoint())) {
            finish(JobState.FAILED, "the incremental backup job ended while the service was down, and its checkpoint "
                    + spec.backup().checkpoint() + " is gone: its end cannot be told; run it again");
        } else {
            recordEnd();
        }
    }

    /** Records how libvirt's job ended (libvirt keeps that until the domain's next job). */
    private void recordEnd() {
        JobStats done = domain.jobStats(true);
        if (cancelled) {
            finish(JobState.CANCELLED, "");
        } else if (done.isCompleted()) {
            long total = done.value("disk_total");
            progress = new JobProgress(total, total);
            finish(JobState.COMPLETED, "");
        } else {
            String why = done.text("errmsg");
            finish(JobState.FAILED, "the incremental backup job " + (NoSpace.in(why)
                    ? "ran out of space (NO_SPACE)" : "failed") + (why.isEmpty() ? "" : ": " + why));
        }
    }

    /**
     * The running job's statistics. libvirt may not answer for a moment (libvirtd restarting,
     * while QEMU's job goes on): it is asked again each second for up to a minute before the
     * backup is failed.
     */
    private JobStats statsRidingOutLibvirt() throws InterruptedException {
        long firstFailure = 0;
        while (true) {
            try {
                return domain.jobStats(false);
            } catch (BackupException e) {
                if (e.code() != ErrorCode.LIBVIRT_ERROR) {
                    throw e;
                }
                firstFailure = firstFailure == 0 ? System.nanoTime() : firstFailure;
                if (System.nanoTime() - firstFailure > LIBVIRT_OUTAGE_NANOS) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }

    private boolean isOurs() {
        return domain.hasJob() && domain.backupXml().map(x -> x.contains(spec.backup().disks().get(0).target())).orElse(false);
    }

    private void finish(JobState state, String message) {
        List<BackupDisk> disks = new ArrayList<>();
        for (BackupDisk d : spec.backup().disks()) {
            disks.add(d.withStored(Paths.sizeOf(Path.of(d.target()))));
        }
        finish(state, message, disks);
    }
}
