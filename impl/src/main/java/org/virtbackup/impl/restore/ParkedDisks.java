package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * The disks of a shut-off domain, moved aside (renamed, same inode) while a restore rewrites
 * them. Until the restored images take their place, starting the domain fails because its disks
 * are missing, rather than running QEMU on files about to be swapped under it, whose writes
 * would be lost. A domain started just before its disks moved is caught by a second look, and
 * its disks go back untouched.
 */
final class ParkedDisks {

    private final List<RestoreTarget> parked = new ArrayList<>();

    private ParkedDisks() {
    }

    static ParkedDisks none() {
        return new ParkedDisks();
    }

    /**
     * Moves the domain's disks that the plan rewrites aside (a missing one needs no moving: the
     * domain cannot start without it anyway); refuses if the domain is, or just got, running.
     */
    static ParkedDisks park(LibvirtDomain domain, List<RestoreTarget> plan) {
        for (RestoreTarget t : plan) {
            if (Files.exists(t.parked(), LinkOption.NOFOLLOW_LINKS)) {
                throw new BackupException(ErrorCode.INVALID_STATE, t.parked() + " exists: an earlier restore of "
                        + t.target() + " was interrupted, and this is the disk as it was before; move it back over "
                        + t.target() + " or delete it, then restore again");
            }
        }
        ParkedDisks disks = new ParkedDisks();
        try {
            for (RestoreTarget t : plan) {
                if (Files.exists(t.target(), LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(t.target(), t.parked(), StandardCopyOption.ATOMIC_MOVE);
                    disks.parked.add(t);
                }
            }
            if (domain.isActive()) { // QEMU opened them before they moved: the same files go back, as they were
                throw new BackupException(ErrorCode.INVALID_STATE, "domain " + domain.ref().name()
                        + " was started as the restore began; its disks were not touched");
            }
            return disks;
        } catch (IOException | RuntimeException e) {
            disks.putBackFor(e);
            if (e instanceof IOException io) {
                throw new BackupException(ErrorCode.IO_ERROR, "cannot move the disks of domain " + domain.ref().name()
                        + " aside for the restore: " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Puts every original disk back in place of anything restored, so the domain is as it was,
     * and returns the failure that made it necessary; a disk that cannot go back is named in a
     * suppressed exception of it, and stays beside its place as {@code .<name>.before-restore}.
     */
    <E extends Exception> E putBackFor(E failure) {
        for (RestoreTarget t : parked) {
            try {
                Files.move(t.parked(), t.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                failure.addSuppressed(new IOException("the original disk stays in " + t.parked()
                        + "; move it back over " + t.target() + " by hand: " + e.getMessage(), e));
            }
        }
        parked.clear();
        return failure;
    }

    /** The restored images are in place: the originals go. */
    void drop() {
        parked.forEach(t -> Paths.deleteQuietly(t.parked()));
        parked.clear();
    }
}
