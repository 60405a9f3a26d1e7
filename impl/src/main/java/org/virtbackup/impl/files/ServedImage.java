package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.qemu.HostProcesses;

/**
 * A qcow2 backup image, read through its backing chain, shown as a raw file: qemu-nbd serves it
 * with {@code --snapshot} (what is written goes to a temporary overlay in the work directory,
 * never to the backup) and nbdfuse shows the export as a file. Both end when the FUSE mount goes.
 */
final class ServedImage implements DiskFile {

    private static final long START_SECONDS = 60;

    private final Process nbdfuse;
    private final Path mountpoint;
    private final Path file;

    private ServedImage(Process nbdfuse, Path mountpoint) {
        this.nbdfuse = nbdfuse;
        this.mountpoint = mountpoint;
        this.file = mountpoint.resolve("disk");
    }

    /** @param qemuNbd the qemu-nbd program ({@code qemu.nbd}) */
    static ServedImage open(Path image, Path work, String qemuNbd) {
        ServedImage served = null;
        try {
            Path mountpoint = Files.createDirectory(work.resolve("fuse"));
            Path log = work.resolve("nbdfuse.log");
            ProcessBuilder pb = HostProcesses.builder(List.of("nbdfuse", mountpoint.resolve("disk").toString(),
                    "--socket-activation", qemuNbd, "--snapshot", "--format=qcow2", image.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("TMPDIR", work.toString()); // qemu-nbd's overlay: removed with the work directory
            served = new ServedImage(pb.start(), mountpoint);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
            while (!Files.exists(served.file)) {
                if (!served.nbdfuse.isAlive() || System.nanoTime() > deadline) {
                    served.close();
                    String why = Files.exists(log) ? Files.readString(log).strip() : "";
                    throw new BackupException(ErrorCode.IO_ERROR, "nbdfuse cannot show " + image + " as a file: "
                            + (why.isEmpty() ? "nothing within " + START_SECONDS + " s" : why));
                }
                Thread.sleep(20);
            }
            return served;
        } catch (IOException e) {
            if (served != null) {
                served.close();
            }
            throw new BackupException(ErrorCode.IO_ERROR, "cannot start nbdfuse (install libnbd-bin; "
                    + "scripts/setup-host.sh does) for " + image + ": " + e.getMessage());
        } catch (InterruptedException e) {
            served.close();
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while nbdfuse started");
        }
    }

    @Override
    public Path file() {
        return file;
    }

    /**
     * Unmounts the FUSE mount (nbdfuse then ends, and stops its qemu-nbd); one nbdfuse that does
     * not end is killed with its qemu-nbd, which would otherwise keep the image locked.
     */
    @Override
    public void close() {
        if (!WorkDirectories.mountsUnder(mountpoint).isEmpty()) {
            WorkDirectories.unmount(mountpoint);
        }
        boolean interrupted = Thread.interrupted();
        try {
            if (!nbdfuse.waitFor(30, TimeUnit.SECONDS)) {
                nbdfuse.descendants().forEach(ProcessHandle::destroyForcibly);
                nbdfuse.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            nbdfuse.descendants().forEach(ProcessHandle::destroyForcibly);
            nbdfuse.destroyForcibly();
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
