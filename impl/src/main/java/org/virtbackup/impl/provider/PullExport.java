package org.virtbackup.impl.provider;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.xml.SafeXml;

/**
 * A libvirt pull-mode backup job: QEMU exports the chosen disks, frozen at the job's start,
 * read-only over NBD, and keeps copy-before-write data in scratch files. An incremental export
 * also carries, per disk, the dirty bitmap {@code backup-<disk>} of what changed since the given
 * checkpoint. The job runs until {@link #end()}.
 */
final class PullExport {

    /** {@code VIR_DOMAIN_BACKUP_BEGIN_QUIESCE}: not in libvirt-java 0.5.4's constants. */
    static final int BEGIN_QUIESCE = 2;
    private static final long END_TIMEOUT_NANOS = 30_000_000_000L;

    private final Domain domain;
    private final NbdListener listener;
    /** Text only this job's backup XML holds (its scratch files are named by it). */
    private final String marker;

    private PullExport(Domain domain, NbdListener listener, String marker) {
        this.domain = domain;
        this.listener = listener;
        this.marker = marker;
    }

    /**
     * Starts the job; {@code chosen} are exported, every other disk of the domain is left out.
     * The checkpoint is created in the same step, so it marks exactly the exported moment.
     *
     * @param scratchPrefix names the scratch files; unique to the backup
     * @param since the checkpoint an incremental export is relative to, {@code null} for a full one
     */
    static PullExport begin(Domain domain, List<DomainDisk> all, Set<String> chosen, NbdListener listener,
            Path scratchDirectory, String scratchPrefix, String since, String checkpointXml, boolean quiesce) {
        StringBuilder xml = new StringBuilder("<domainbackup mode='pull'>\n");
        if (since != null) {
            xml.append("  <incremental>").append(SafeXml.escape(since)).append("</incremental>\n");
        }
        xml.append("  ").append(listener.serverXml()).append("\n  <disks>\n");
        for (DomainDisk d : all) {
            if (chosen.contains(d.name())) {
                Path scratch = scratchDirectory.resolve(scratchPrefix + "-" + d.name() + ".scratch");
                xml.append("    <disk name='").append(SafeXml.escape(d.name())).append("' backup='yes' type='file' exportname='")
                        .append(SafeXml.escape(d.name())).append("'")
                        .append(since == null ? "" : " exportbitmap='" + SafeXml.escape(bitmap(d.name())) + "'")
                        .append("><scratch file='").append(SafeXml.escape(scratch.toString())).append("'/></disk>\n");
            } else {
                xml.append("    <disk name='").append(SafeXml.escape(d.name())).append("' backup='no'/>\n");
            }
        }
        xml.append("  </disks>\n</domainbackup>\n");
        try {
            domain.backupBegin(xml.toString(), checkpointXml, quiesce ? BEGIN_QUIESCE : 0);
        } catch (LibvirtException e) {
            throw new BackupException(ErrorCode.LIBVIRT_ERROR, "starting the libvirt backup job failed: " + e.getMessage(), e);
        }
        PullExport export = new PullExport(domain, listener, scratchPrefix);
        if (listener.isUnix()) {
            try {
                // QEMU creates the socket 0775; the disks it serves are customers' data.
                Files.setPosixFilePermissions(listener.socket(), Paths.OWNER_ONLY_FILE);
            } catch (IOException e) {
                export.end();
                throw new BackupException(ErrorCode.IO_ERROR, "cannot restrict the NBD socket " + listener.socket() + ": "
                        + e.getMessage(), e);
            }
        }
        return export;
    }

    /** The export of a job that began before a restart, if libvirt still runs it. */
    static PullExport attach(Domain domain, NbdListener listener, String scratchPrefix) {
        PullExport export = new PullExport(domain, listener, scratchPrefix);
        if (!export.isActive()) {
            throw new BackupException(ErrorCode.INVALID_STATE,
                    "the libvirt backup job ended while the service was down (domain stopped or libvirtd restarted)");
        }
        return export;
    }

    /** The name of the dirty bitmap an incremental export of this disk carries. */
    static String bitmap(String disk) {
        return "backup-" + disk;
    }

    /** The NBD URI of one disk's export. */
    String uri(String disk) {
        return listener.uri(disk);
    }

    boolean isActive() {
        try {
            return domain.getBackupXMLDesc(0).contains(marker);
        } catch (LibvirtException e) {
            return false;
        }
    }

    /**
     * Ends the job and waits until libvirt has let go of it (it tears the job down after the abort
     * returns: scratch files removed, the domain free for the next job). QEMU leaves its socket
     * file to us.
     */
    void end() {
        try {
            if (isActive()) {
                domain.abortJob();
            }
        } catch (LibvirtException e) {
            // The job is gone already (domain stopped): nothing left to end.
        }
        long deadline = System.nanoTime() + END_TIMEOUT_NANOS;
        while (isActive() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (listener.isUnix()) {
            try {
                Files.deleteIfExists(listener.socket());
            } catch (IOException e) {
                // a stale socket file harms nobody: the next job's socket has another name
            }
        }
    }
}
