package org.virtbackup.impl.provider.nbd;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.impl.libvirt.DomainDisk;

/**
 * What a pull-mode export of a backup serves, and how.
 *
 * @param backup the backup; its UUID names the scratch files and marks libvirt's job as ours
 * @param all every disk of the domain
 * @param chosen the names of the disks to export; the others are left out
 * @param listener where the NBD server listens
 * @param scratchDirectory where QEMU keeps the copy-before-write data
 * @param since the checkpoint an incremental export is relative to, {@code null} for a full one
 * @param checkpoint the checkpoint to create at the export's moment, {@code null} for none
 * @param quiesce freeze the guest's file systems through its agent for the start
 * @param scratchReservePercent the share of the exported disks' allocation the scratch directory must have free
 */
public record ExportPlan(UUID backup, List<DomainDisk> all, Set<String> chosen, NbdListener listener,
        Path scratchDirectory, String since, String checkpoint, boolean quiesce, int scratchReservePercent) {

    public ExportPlan {
        all = List.copyOf(all);
        chosen = Set.copyOf(chosen);
    }
}
