package org.virtbackup.impl.backup;

import java.util.List;
import java.util.Set;

import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * A backup about to start: of which domain, as it is now, which of its disks, as asked.
 *
 * @param mode managed (copied into a target) or unmanaged (exported for a third party)
 * @param domain the live domain
 * @param ref its name and UUID
 * @param domainXml its XML now, kept with the backup
 * @param disks the disks chosen
 * @param request what the caller asked
 * @param flags the caller's flags
 * @param repository the repository a managed backup goes into, {@code null} for images in a target
 */
public record BackupPlan(BackupMode mode, LibvirtDomain domain, DomainRef ref, String domainXml, List<DomainDisk> disks,
        BackupRequest request, Set<CreateFlag> flags, String repository) {

    public BackupPlan {
        disks = List.copyOf(disks);
        flags = flags == null ? Set.of() : Set.copyOf(flags);
    }

    /** Whether the disks are copied into a target (else exported). */
    public boolean managed() {
        return mode == BackupMode.MANAGED;
    }
}
