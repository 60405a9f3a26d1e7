package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * Serves an image over NBD on a private unix socket with {@code qemu-nbd}: a shut-off domain's
 * image for the repository to read (read-only, with a dirty bitmap when incremental; the image
 * lock keeps the domain from starting meanwhile), or a new image a restore writes.
 */
public final class QemuNbd {

    /** The export name every served image has. */
    public static final String EXPORT = "disk";
    /** What its pid file's name ends with, beside its socket ({@link LeftServers}). */
    static final String PID = ".qemu-nbd.pid";

    private final String program;
    private final Duration startLimit;

    public QemuNbd(String program, Duration startLimit) {
        this.program = program;
        this.startLimit = startLimit;
    }

    /** A running qemu-nbd; closing it stops it (SIGTERM, then SIGKILL) and removes its socket. */
    public static final class Server implements AutoCloseable {
        private final Process process;
        private final Path socket;
        private final Path log;

        Server(Process process, Path socket, Path log) {
            this.process = process;
            this.socket = socket;
            this.log = log;
        }

        public Path socket() {
            return socket;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try {
                Files.deleteIfExists(socket);
                Files.deleteIfExists(log);
                Files.deleteIfExists(Path.of(socket + PID));
            } catch (IOException e) {
                // in the private runtime directory; LeftServers takes what is left at the next start
            }
        }
    }

    /**
     * Serves the image.
     *
     * @param bitmap a persistent dirty bitmap of the image to export as {@code qemu:dirty-bitmap:NAME}, or {@code null}
     * @param connections how many clients may be connected at once
     */
    public Server serve(Path image, String format, Path socket, boolean writable, String bitmap, int connections)
            throws IOException {
        Files.deleteIfExists(socket);
        Path log = socket.resolveSibling(socket.getFileName() + ".log");
        // Its pid in a file beside the socket: one whose JVM was killed is stopped at the next start (LeftServers).
        List<String> cmd = new ArrayList<>(List.of(program, "--socket=" + socket, "--format=" + format,
                "--export-name=" + EXPORT, "--shared=" + connections, "--persistent", "--cache=none", "--aio=native",
                "--pid-file=" + socket + PID));
        if (!writable) {
            cmd.add("--read-only");
        }
        if (bitmap != null) {
            cmd.add("--bitmap=" + bitmap);
        }
        cmd.add(image.toString());
        Process p = HostProcesses.builder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Server server = new Server(p, socket, log);
        long deadline = System.nanoTime() + startLimit.toNanos();
        try {
            // The pid file, not the socket: qemu-nbd binds the socket before it listens (a connect
            // between the two is refused) and writes the pid file once it listens.
            while (!Files.exists(socket) || !Files.exists(Path.of(socket + PID))) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String why = Files.exists(log) ? Files.readString(log).strip() : "";
                    server.close();
                    throw new BackupException(ErrorCode.IO_ERROR, "qemu-nbd cannot serve " + image + ": "
                            + (why.isEmpty() ? "it did not listen within " + startLimit.toSeconds() + " s" : why));
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            server.close();
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while qemu-nbd started");
        }
        return server;
    }
}
