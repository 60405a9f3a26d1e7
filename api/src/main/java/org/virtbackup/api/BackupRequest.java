package org.virtbackup.api;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a caller asks of {@link BackupService#create(String, BackupRequest, java.util.Set)}: the
 * typed form of the input {@code <domainbackup>}.
 *
 * @param uuid the new backup's UUID, {@code null} to have one generated
 * @param description free text, {@code null} for none
 * @param parent the parent of an incremental backup, {@code null} for a full one
 * @param disks the disk names to back up; empty means every disk of the domain
 * @param server for {@link BackupService#startUnmanaged}: how the NBD server listens;
 *        {@code null} for the configured default (a private unix socket unless configured otherwise)
 * @param targets for {@code create}: where a disk's copy goes instead of the domain's target, by
 *        disk name; empty for the domain's target (since 1.6)
 */
public record BackupRequest(UUID uuid, String description, UUID parent, List<String> disks, NbdServer server,
        Map<String, DiskTarget> targets) {

    /** A request with the default NBD server. */
    public BackupRequest(UUID uuid, String description, UUID parent, List<String> disks) {
        this(uuid, description, parent, disks, null);
    }

    /** A request whose disks go to the domain's target. */
    public BackupRequest(UUID uuid, String description, UUID parent, List<String> disks, NbdServer server) {
        this(uuid, description, parent, disks, server, Map.of());
    }

    public BackupRequest {
        disks = disks == null ? List.of() : List.copyOf(disks);
        targets = targets == null ? Map.of() : Map.copyOf(targets);
        for (String disk : targets.keySet()) {
            if (!disks.isEmpty() && !disks.contains(disk)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk '" + disk + "' has a target but is not "
                        + "among the disks to back up " + disks);
            }
        }
    }

    /** A full backup of every disk. */
    public static BackupRequest allDisks() {
        return new BackupRequest(null, null, null, List.of());
    }
}
