package org.virtbackup.impl.xml;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.ErrorCode;
import org.w3c.dom.Element;

/**
 * The words of libvirt's own {@code <domainbackup>} (formatbackup.rst, what {@code virsh
 * backup-begin} takes) read into our model, or refused naming the element that does not map.
 * What maps: {@code mode}, {@code <incremental>}, a disk's {@code backup='no'}, {@code type='file'},
 * {@code <driver type='qcow2'/>}, {@code backupmode} and {@code incremental} agreeing with the
 * whole backup. A backup of ours is full or incremental for all its disks, written to qcow2 files
 * by its owner, so what asks otherwise is refused.
 */
public final class LibvirtDialect {

    /** What the caller does with the document: libvirt's {@code mode} must agree. */
    public enum Mode {
        /** create: virt-backup writes the copies. */
        PUSH("pull", "asks for an export that a third party reads: that is startUnmanaged (backup:export), not create"),
        /** startUnmanaged: a third party reads the export. */
        PULL("push", "asks for copies that virt-backup writes: that is create (backup:create), not startUnmanaged"),
        /** restore: our dialect alone; libvirt's words belong to the start of a backup. */
        RESTORE(null, null);

        /** The mode a document given to this call must not name, and why. */
        private final String opposite;
        private final String why;

        Mode(String opposite, String why) {
            this.opposite = opposite;
            this.why = why;
        }

        void check(DomainBackupElement e) {
            if (this == RESTORE) {
                requireOurs(e);
            } else if (opposite.equals(e.dialectMode)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "backup XML: mode='" + e.dialectMode + "' " + why);
            }
        }
    }

    private LibvirtDialect() {
    }

    /** The disks that take part, with their targets: the ones listed, less those with {@code backup='no'}. */
    static List<BackupDocument.RequestedDisk> disks(DomainBackupElement e) {
        List<DomainBackupElement.Disk> listed = e.disks();
        String since = incremental(e);
        Set<String> seen = new HashSet<>();
        List<BackupDocument.RequestedDisk> taking = new ArrayList<>();
        for (DomainBackupElement.Disk d : listed) {
            if (!seen.add(d.name)) {
                throw invalid("disk '" + d.name + "' is named twice in <disks>");
            }
            if (!"no".equals(d.backup)) {
                taking.add(new BackupDocument.RequestedDisk(d.name, target(d, since != null || e.parent != null)));
            }
        }
        if (!listed.isEmpty() && taking.isEmpty()) {
            throw invalid("every disk listed has backup='no': nothing is left to back up (leave <disks> out for every "
                    + "disk)");
        }
        return taking;
    }

    /** The checkpoint an incremental backup starts from: the document's, or the one all its disks name. */
    static String incremental(DomainBackupElement e) {
        Set<String> named = new HashSet<>();
        if (e.incremental != null) {
            named.add(e.incremental);
        }
        List<DomainBackupElement.Disk> taking = e.disks().stream().filter(d -> !"no".equals(d.backup)).toList();
        taking.stream().filter(d -> d.incremental != null).forEach(d -> named.add(d.incremental));
        if (named.size() > 1) {
            throw invalid("the disks name different checkpoints " + named + " in incremental='…'; a backup of "
                    + "virt-backup has one parent for all its disks");
        }
        if (e.incremental == null && !named.isEmpty()) {
            taking.stream().filter(d -> d.incremental == null).findFirst().ifPresent(d -> {
                // libvirt would back this disk up in full and the others incrementally
                throw unsupported("disk '" + d.name + "' names no incremental='…' while others do: a backup of "
                        + "virt-backup is full or incremental for all its disks; name the checkpoint in <incremental>");
            });
        }
        return named.isEmpty() ? null : named.iterator().next();
    }

    /** A restore's document: libvirt's words there are refused, naming the first one found. */
    static void requireOurs(DomainBackupElement e) {
        String found = e.dialectMode != null ? "mode='" + e.dialectMode + "'" : e.incremental != null ? "<incremental>"
                : e.server != null ? "<server>" : null;
        for (DomainBackupElement.Disk d : e.disks()) {
            if (found != null) {
                break;
            }
            found = d.backup != null ? "backup='" + d.backup + "'" : d.type != null ? "type='" + d.type + "'"
                    : d.backupmode != null ? "backupmode" : d.incremental != null ? "incremental='" + d.incremental + "'"
                    : d.exportname != null || d.exportbitmap != null ? "exportname/exportbitmap"
                    : d.driver != null ? "<driver>" : d.scratch != null ? "<scratch>"
                    : d.target != null && (d.target.dev != null || d.target.pool != null || d.target.children != null
                            && !d.target.children.isEmpty()) ? "a <target> other than file='…'" : null;
            if (found != null) {
                found = "disk '" + d.name + "': " + found;
            }
        }
        if (found != null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "restore XML: " + found + " belongs to the start of "
                    + "a backup; a restore names its backup point by <uuid>, its disks by name with a <target file='…'/>");
        }
    }

    /** libvirt's {@code <server>}: transport and address map; a socket of the caller's does not. */
    static void checkServer(BackupDocument doc) {
        if (doc.serverSocket() != null) {
            throw unsupported("<server socket='" + doc.serverSocket() + "'>: virt-backup makes the unix socket itself, "
                    + "in its private run directory (the export's URI names it); leave socket out");
        }
    }

    private static DiskTarget target(DomainBackupElement.Disk d, boolean incremental) {
        String disk = "disk '" + d.name + "': ";
        if ("block".equals(d.type) || d.target != null && d.target.dev != null) {
            throw unsupported(disk + "type='block' (<target dev='…'>): backups are written to new files, never to devices");
        }
        if (d.scratch != null) {
            throw unsupported(disk + "<scratch>: virt-backup places a pull-mode backup's scratch space itself, beside "
                    + "its other state");
        }
        if (d.exportname != null || d.exportbitmap != null) {
            throw unsupported(disk + (d.exportname != null ? "exportname" : "exportbitmap") + "='…': the export and its "
                    + "bitmap are named by virt-backup after the disk (the descriptor's <export> says them)");
        }
        if (d.driver != null && !"qcow2".equals(d.driver.type)) {
            throw unsupported(disk + "<driver type='" + d.driver.type + "'>: backups are qcow2 images (the format that "
                    + "carries their chains); convert a restored image if another format is needed");
        }
        if ("full".equals(d.backupmode) && incremental) {
            throw unsupported(disk + "backupmode='full' in an incremental backup: a backup of virt-backup is full or "
                    + "incremental for all its disks; make a full backup, or leave the disk out");
        }
        if ("incremental".equals(d.backupmode) && !incremental) {
            throw invalid(disk + "backupmode='incremental' needs <incremental> naming the checkpoint to start from");
        }
        if (d.target == null) {
            return null;
        }
        if (d.target.children != null && !d.target.children.isEmpty()) {
            Element child = d.target.children.get(0);
            throw unsupported(disk + "<target><" + child.getTagName() + ">: not supported; a backup's files are its "
                    + "owner's alone (0600), and a repository with a key encrypts what it stores");
        }
        if (d.target.repository != null) {
            throw invalid(disk + "<target repository='…'>: a repository is a domain's target (setDefaultTarget), "
                    + "not a disk's");
        }
        boolean inPool = d.target.pool != null || d.target.volume != null;
        if (inPool == (d.target.file != null)) {
            throw invalid(disk + "<target> names a file (file='/path') or a pool's new volume (pool='P' volume='V')");
        }
        return inPool ? DiskTarget.volume(d.target.pool, d.target.volume) : DiskTarget.file(d.target.file);
    }

    /** Something libvirt's dialect says that our model cannot do. */
    private static BackupException unsupported(String message) {
        return new BackupException(ErrorCode.NOT_SUPPORTED, "backup XML: " + message);
    }

    private static BackupException invalid(String message) {
        return new BackupException(ErrorCode.INVALID_XML, "backup XML: " + message);
    }
}
