package org.virtbackup.impl.provider.nbd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.storage.RoomCheck;
import org.virtbackup.impl.xml.SafeXml;

/**
 * A libvirt pull-mode backup job: QEMU exports the chosen disks, frozen at the job's start,
 * read-only over NBD, and keeps copy-before-write data in scratch files. An incremental export
 * also carries, per disk, the dirty bitmap {@code backup-<disk>} of what changed since the given
 * checkpoint. The job runs until {@link #end()}.
 */
public final class PullExport {

    private static final Logger LOG = LoggerFactory.getLogger(PullExport.class);

    /** libvirt lets go of an aborted job in 20-50 ms; a libvirtd restarting takes seconds. */
    private static final Duration END_TIMEOUT = Duration.ofSeconds(30);

    private final LibvirtDomain domain;
    private final NbdListener listener;
    /** Text only this job's backup XML holds (its scratch files are named by it). */
    private final String marker;
    private final Duration endTimeout;

    PullExport(LibvirtDomain domain, NbdListener listener, String marker, Duration endTimeout) {
        this.domain = domain;
        this.listener = listener;
        this.marker = marker;
        this.endTimeout = endTimeout;
    }

    private PullExport(LibvirtDomain domain, NbdListener listener, String marker) {
        this(domain, listener, marker, END_TIMEOUT);
    }

    /**
     * {@code NO_SPACE} unless the scratch directory holds the configured share of what the
     * exported disks hold now (all of it: the most the guest can overwrite while the export
     * lasts). A scratch file that cannot grow fails the backup, and with QEMU's default
     * copy-before-write policy the guest's own write with it.
     */
    private static void requireScratchRoom(LibvirtDomain domain, ExportPlan plan) {
        List<DomainDisk> exported = plan.all().stream().filter(d -> plan.chosen().contains(d.name())).toList();
        long free;
        try {
            free = Files.getFileStore(plan.scratchDirectory()).getUsableSpace();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read the free space of the scratch directory "
                    + plan.scratchDirectory() + ": " + e.getMessage(), e);
        }
        if (plan.scratchReservePercent() <= 0) {
            return;
        }
        long needed = RoomCheck.allocation(domain, exported) / 100 * plan.scratchReservePercent();
        RoomCheck.require(free, needed, "the scratch directory " + plan.scratchDirectory() + " (scratch.directory)",
                "an export of the running domain", plan.scratchReservePercent() + "% (scratch.reserve.percent) of what "
                + "its exported disks hold now; all of it is the most the guest can overwrite during the backup");
    }

    /**
     * Starts the job. The checkpoint is created in the same step, so it marks exactly the
     * exported moment.
     */
    public static PullExport begin(LibvirtDomain domain, ExportPlan plan) {
        requireScratchRoom(domain, plan);
        String marker = plan.backup().toString();
        StringBuilder xml = new StringBuilder("<domainbackup mode='pull'>\n");
        if (plan.since() != null) {
            xml.append("  <incremental>").append(SafeXml.escape(plan.since())).append("</incremental>\n");
        }
        xml.append("  ").append(plan.listener().serverXml()).append("\n  <disks>\n");
        for (DomainDisk d : plan.all()) {
            String name = SafeXml.escape(d.name());
            if (plan.chosen().contains(d.name())) {
                Path scratch = plan.scratchDirectory().resolve(marker + "-" + d.name() + ".scratch");
                xml.append("    <disk name='").append(name).append("' backup='yes' type='file' exportname='").append(name)
                        .append("'").append(plan.since() == null ? "" : " exportbitmap='" + SafeXml.escape(bitmap(d.name())) + "'")
                        .append("><scratch file='").append(SafeXml.escape(scratch.toString())).append("'/></disk>\n");
            } else {
                xml.append("    <disk name='").append(name).append("' backup='no'/>\n");
            }
        }
        xml.append("  </disks>\n</domainbackup>\n");
        String checkpointXml = plan.checkpoint() == null ? null : Checkpoints.xml(plan.checkpoint(), plan.all(), plan.chosen());
        domain.beginBackup(xml.toString(), checkpointXml, false, plan.quiesce());
        PullExport export = new PullExport(domain, plan.listener(), marker);
        if (plan.listener().isUnix()) {
            try {
                // QEMU creates the socket 0775; the disks it serves are customers' data.
                Files.setPosixFilePermissions(plan.listener().socket(), Paths.OWNER_ONLY_FILE);
            } catch (IOException e) {
                BackupException failure = new BackupException(ErrorCode.IO_ERROR, "cannot restrict the NBD socket "
                        + plan.listener().socket() + ": " + e.getMessage(), e);
                try {
                    export.end().ifPresent(left -> failure.addSuppressed(new IllegalStateException(left)));
                    if (plan.checkpoint() != null) {
                        domain.deleteCheckpoint(plan.checkpoint(), false); // made with the job: no backup is recorded on it
                    }
                } catch (RuntimeException cleanup) {
                    failure.addSuppressed(cleanup);
                }
                throw failure;
            }
        }
        return export;
    }

    /** The export of a job that began before a restart, if libvirt still runs it. */
    public static PullExport attach(LibvirtDomain domain, NbdListener listener, String marker) {
        PullExport export = new PullExport(domain, listener, marker);
        if (!export.isActive()) {
            throw new BackupException(ErrorCode.INVALID_STATE,
                    "the libvirt backup job ended while the service was down (domain stopped or libvirtd restarted)");
        }
        return export;
    }

    /**
     * Ends the backup's libvirt job if one runs (its XML names the marker), as after a start cut
     * short; returns whether one did. A job that does not end is an {@code INVALID_STATE} error
     * saying how to end it.
     */
    public static boolean endIfRunning(LibvirtDomain domain, NbdListener listener, String marker) {
        return new PullExport(domain, listener, marker).endIfRunning();
    }

    boolean endIfRunning() {
        boolean running = isActive();
        end().ifPresent(left -> {
            throw new BackupException(ErrorCode.INVALID_STATE, left);
        });
        return running;
    }

    /** Whether the domain is known to have stopped (a libvirt that cannot say is not taken for it). */
    public boolean domainStopped() {
        try {
            return !domain.isActive();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The name of the dirty bitmap an incremental export of this disk carries. */
    public static String bitmap(String disk) {
        return "backup-" + disk;
    }

    /** The NBD URI of one disk's export. */
    public String uri(String disk) {
        return listener.uri(disk);
    }

    public boolean isActive() {
        return domain.backupXml().map(x -> x.contains(marker)).orElse(false);
    }

    /**
     * Ends the job and waits until libvirt has let go of it (it tears the job down after the abort
     * returns: scratch files removed, the domain free for the next job). QEMU leaves its socket
     * file to us. Returns, when libvirt still runs the job at the deadline, what the user must
     * do about it: the job holds the domain, and every later backup of it would meet it.
     */
    public Optional<String> end() {
        long deadline = System.nanoTime() + endTimeout.toNanos();
        boolean ended = false;
        boolean aborted = false;
        boolean interrupted = false;
        String unanswered = null;
        while (!ended) {
            try {
                ended = !isActive();
                if (!ended && !aborted) {
                    domain.abortJob();
                    aborted = true;
                }
                unanswered = null;
            } catch (BackupException e) {
                // libvirt cannot answer now (restarting, say): try again until the deadline
                LOG.debug("Ending the backup job of {}: {}", marker, e.getMessage());
                unanswered = e.getMessage();
            }
            if (ended || interrupted || System.nanoTime() >= deadline) {
                break;
            }
            try {
                Thread.sleep(5); // it goes 20-50 ms after the abort, and a backup waits for it
            } catch (InterruptedException e) {
                interrupted = true; // one more look, then the interrupt is left for the caller
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (listener.isUnix()) {
            try {
                Files.deleteIfExists(listener.socket());
            } catch (IOException e) {
                // a stale socket file harms nobody: the next job's socket has another name
            }
        }
        if (ended) {
            return Optional.empty();
        }
        String name = domain.ref().name();
        String left = "the libvirt backup job of domain " + name + (interrupted ? " had not ended when the wait for it "
                + "was interrupted" : " did not end within " + endTimeout.toSeconds() + " s")
                + (unanswered == null ? "" : " (libvirt: " + unanswered + ")")
                + "; it holds the domain until it is ended: virsh domjobabort " + name;
        LOG.warn("Backup {}: {}", marker, left);
        return Optional.of(left);
    }
}
