package org.virtbackup.impl.storage;

import java.util.List;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/** A full backup needs about what the disks hold now: refused early rather than fill the target. */
public final class RoomCheck {

    private RoomCheck() {
    }

    /** {@code NO_SPACE} unless {@code free} bytes hold what these disks of the domain hold now. */
    public static void require(long free, LibvirtDomain domain, List<DomainDisk> disks) {
        long needed = 0;
        for (DomainDisk d : disks) {
            needed += domain.allocation(d);
        }
        if (free < needed) {
            throw new BackupException(ErrorCode.NO_SPACE, "the target has " + free + " bytes free; a full backup of the "
                    + "domain needs about " + needed + " (what its disks hold now)");
        }
    }
}
