package org.virtbackup.impl.storage;

import java.util.List;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/** A job is refused early, with {@code NO_SPACE}, rather than fill a file system midway. */
public final class RoomCheck {

    private RoomCheck() {
    }

    /** What these disks of the domain hold now: what a full backup, or a worst-case scratch file, needs. */
    public static long allocation(LibvirtDomain domain, List<DomainDisk> disks) {
        long needed = 0;
        for (DomainDisk d : disks) {
            needed += domain.allocation(d);
        }
        return needed;
    }

    /** {@code NO_SPACE} unless {@code free} bytes hold what these disks of the domain hold now. */
    public static void require(long free, LibvirtDomain domain, List<DomainDisk> disks) {
        require(free, allocation(domain, disks), "the target", "a full backup of the domain", "what its disks hold now");
    }

    /**
     * {@code NO_SPACE} unless {@code free} bytes hold {@code needed}.
     *
     * @param where the file system ("the target")
     * @param who what needs the room ("an incremental backup")
     * @param why how {@code needed} was found ("the bytes written since its parent")
     */
    public static void require(long free, long needed, String where, String who, String why) {
        if (free < needed) {
            throw new BackupException(ErrorCode.NO_SPACE, where + " has " + free + " bytes free; " + who
                    + " needs about " + needed + " (" + why + ")");
        }
    }
}
