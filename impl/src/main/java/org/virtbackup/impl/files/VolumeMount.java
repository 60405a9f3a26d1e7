package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * A volume's file system mounted by the kernel, read-only, from a writable loop device over the
 * disk file: a journal the guest left unreplayed (a backup of a running guest is crash-consistent)
 * is replayed into the disk file's throw-away copy, so what is read is what the guest would see
 * after a restart. The loop device is released as soon as the mount holds it (autoclear).
 */
final class VolumeMount implements AutoCloseable {

    private final Path root;

    private VolumeMount(Path root) {
        this.root = root;
    }

    static VolumeMount mount(Path file, Volume volume, Path mountpoint) {
        try {
            Files.createDirectory(mountpoint);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create " + mountpoint + ": " + e.getMessage());
        }
        String loop = HostCommand.run("losetup", "--find", "--show", "--offset", Long.toString(volume.offset()),
                "--sizelimit", Long.toString(volume.size()), file.toString()).strip();
        try {
            // -i: no mount helper program (/sbin/mount.TYPE) runs on the guest's file system.
            HostCommand.Result r = HostCommand.attempt("mount", "-i", "-t", volume.driver(), "-o", volume.options(), loop,
                    mountpoint.toString());
            if (r.exit() != 0) {
                throw new BackupException(ErrorCode.IO_ERROR, "the " + volume.type() + " file system of "
                        + (volume.name().isEmpty() ? "the disk" : "partition " + volume.name())
                        + " does not mount read-only: " + r.said());
            }
        } finally {
            HostCommand.attempt("losetup", "--detach", loop); // a mounted one goes when unmounted
        }
        return new VolumeMount(mountpoint);
    }

    Path root() {
        return root;
    }

    @Override
    public void close() {
        WorkDirectories.unmount(root);
    }
}
