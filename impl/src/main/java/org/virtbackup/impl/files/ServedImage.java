package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

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

    static ServedImage open(Path image, Path work) {
        try {
            Path mountpoint = Files.createDirectory(work.resolve("fuse"));
            Path log = work.resolve("nbdfuse.log");
            ProcessBuilder pb = new ProcessBuilder(List.of("nbdfuse", mountpoint.resolve("disk").toString(),
                    "--socket-activation", "qemu-nbd", "--snapshot", "--format=qcow2", image.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("TMPDIR", work.toString()); // qemu-nbd's overlay: removed with the work directory
            ServedImage served = new ServedImage(pb.start(), mountpoint);
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
            throw new BackupException(ErrorCode.IO_ERROR, "cannot start nbdfuse (install libnbd-bin; "
                    + "scripts/setup-host.sh does) for " + image + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while nbdfuse started");
        }
    }

    @Override
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        if (nbdfuse.isAlive()) {
            HostCommand.attempt("umount", mountpoint.toString()); // nbdfuse ends, and stops its qemu-nbd
        }
        try {
            if (!nbdfuse.waitFor(30, TimeUnit.SECONDS)) {
                nbdfuse.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            nbdfuse.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
