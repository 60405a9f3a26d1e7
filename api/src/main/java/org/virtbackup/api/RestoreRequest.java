package org.virtbackup.api;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What a caller asks of {@link BackupService#restore(RestoreRequest, java.util.Set)}: the typed
 * form of the restore {@code <domainbackup>}.
 *
 * @param backup the backup point to restore
 * @param domainName with {@link RestoreFlag#NEW_DOMAIN}: the new domain's name; {@code null} for
 *        {@code <old name>-restored-<id>}
 * @param disks the disks to restore, each optionally with its image file; empty means every disk
 *        of the backup, each where it goes by default
 * @since 1.3
 */
public record RestoreRequest(UUID backup, String domainName, List<Disk> disks) {

    public RestoreRequest {
        Objects.requireNonNull(backup, "backup");
        disks = disks == null ? List.of() : List.copyOf(disks);
    }

    /** Every disk of the backup, each where it goes by default. */
    public static RestoreRequest of(UUID backup) {
        return new RestoreRequest(backup, null, List.of());
    }

    /**
     * One disk to restore.
     *
     * @param name the disk's name in the backup ({@code vda})
     * @param file the image to write, inside the configured restore roots; {@code null} for the
     *        default place (see the README)
     */
    public record Disk(String name, String file) {

        public Disk {
            Objects.requireNonNull(name, "name");
        }
    }
}
