package org.virtbackup.impl.xml;

import java.util.List;
import java.util.UUID;

import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.NbdServer;
import org.virtbackup.api.RestoreRequest;

/**
 * A parsed input {@code <domainbackup>}: what create and restore were asked for.
 *
 * @param uuid the backup's UUID, {@code null} if absent
 * @param description {@code null} if absent
 * @param parent {@code null} if absent
 * @param disks the disks named, each with its target file or {@code null}
 * @param domainName the name of the domain a restore defines, {@code null} if absent
 * @param server the NBD server an unmanaged backup asks for, {@code null} if absent
 */
public record BackupDocument(UUID uuid, String description, UUID parent, List<DiskTarget> disks, String domainName,
        NbdServer server) {

    public BackupDocument {
        disks = List.copyOf(disks);
    }

    /** A disk named in the XML and where it should go, {@code file} {@code null} if not said. */
    public record DiskTarget(String name, String file) {
    }

    public BackupRequest toRequest() {
        return new BackupRequest(uuid, description, parent, disks.stream().map(DiskTarget::name).toList(), server);
    }

    /** The restore this document asks for; {@code uuid} must be set. */
    public RestoreRequest toRestoreRequest() {
        return new RestoreRequest(uuid, domainName, disks.stream().map(d -> new RestoreRequest.Disk(d.name(), d.file())).toList());
    }
}
