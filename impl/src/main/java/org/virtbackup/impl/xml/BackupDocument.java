package org.virtbackup.impl.xml;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.NbdServer;
import org.virtbackup.api.RestoreRequest;

/**
 * A parsed input {@code <domainbackup>}: what create, startUnmanaged and restore were asked for,
 * in our dialect or libvirt's (see {@link LibvirtDialect}).
 *
 * @param uuid the backup's UUID, {@code null} if absent
 * @param description {@code null} if absent
 * @param parent {@code null} if absent
 * @param incremental libvirt's {@code <incremental>}: the checkpoint to start from, {@code null} if absent
 * @param disks the disks taking part, each with its target or {@code null}
 * @param domainName the name of the domain a restore defines, {@code null} if absent
 * @param server the NBD server an unmanaged backup asks for, {@code null} if absent
 * @param mode libvirt's {@code mode} attribute, {@code push} or {@code pull}; {@code null} if absent
 * @param serverSocket libvirt's {@code <server socket='…'>}, which an export refuses; {@code null} if absent
 */
public record BackupDocument(UUID uuid, String description, UUID parent, String incremental, List<RequestedDisk> disks,
        String domainName, NbdServer server, String mode, String serverSocket) {

    public BackupDocument {
        disks = List.copyOf(disks);
    }

    /** An empty request: every disk, to the domain's target. */
    static BackupDocument empty() {
        return new BackupDocument(null, null, null, null, List.of(), null, null, null, null);
    }

    /** A disk named in the XML and where it should go, {@code target} {@code null} if not said. */
    public record RequestedDisk(String name, DiskTarget target) {
    }

    /**
     * The backup this document asks for.
     *
     * @param checkpointOwner the backup that made a checkpoint of this name, {@code null} if none
     */
    public BackupRequest toRequest(Function<String, UUID> checkpointOwner) {
        UUID from = parent;
        if (incremental != null) {
            UUID owner = checkpointOwner.apply(incremental);
            if (owner == null) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "<incremental>" + incremental + "</incremental> "
                        + "names no checkpoint of virt-backup (they are named vb-<backup UUID>); an incremental backup "
                        + "starts from one of its own backups");
            }
            if (parent != null && !parent.equals(owner)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "<parent> names backup " + parent
                        + " but <incremental> names the checkpoint of backup " + owner + "; a backup has one parent");
            }
            from = owner;
        }
        Map<String, DiskTarget> targets = new LinkedHashMap<>();
        disks.stream().filter(d -> d.target() != null).forEach(d -> targets.put(d.name(), d.target()));
        return new BackupRequest(uuid, description, from, disks.stream().map(RequestedDisk::name).toList(), server,
                targets);
    }

    /** The restore this document asks for; {@code uuid} must be set. */
    public RestoreRequest toRestoreRequest() {
        // a pool's volume was refused with libvirt's words (LibvirtDialect.requireOurs): a restore writes files
        return new RestoreRequest(uuid, domainName, disks.stream().map(d -> new RestoreRequest.Disk(d.name(),
                d.target() == null ? null : d.target().file())).toList());
    }
}
