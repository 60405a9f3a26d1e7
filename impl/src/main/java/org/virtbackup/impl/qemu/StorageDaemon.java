package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * Copies, offline, what a persistent dirty bitmap of an image recorded into a qcow2 overlay, and
 * starts the next bitmap in the same transaction: what libvirt's push mode does for a running
 * domain, done by a qemu-storage-daemon for a shut-off one (libvirt runs no job without QEMU).
 * The old bitmap is left untouched ({@code sync: bitmap}, {@code bitmap-mode: never}), as the
 * checkpoint it belongs to may still serve other incrementals.
 */
public final class StorageDaemon {

    /** What its pid file's name ends with, beside its monitor's socket ({@link LeftServers}). */
    static final String PID = ".qsd.pid";

    private final String program;
    private final Duration stall;

    /** @param stall how long the copy may make no progress, or the daemon leave a command unanswered */
    public StorageDaemon(String program, Duration stall) {
        this.program = program;
        this.stall = stall;
    }

    /**
     * @param source the domain's image (qcow2, with the bitmap {@code since})
     * @param overlay a qcow2 overlay on the parent backup's image, written in place
     * @param since the parent checkpoint's bitmap
     * @param next the new checkpoint's bitmap, added to the source
     * @param socket a private path for the daemon's monitor
     */
    public void copyDirty(Path source, Path overlay, String since, String next, Path socket)
            throws IOException, InterruptedException {
        Files.deleteIfExists(socket);
        // Its messages go to a file beside the socket: a pipe nobody reads would block it when full.
        Path log = socket.resolveSibling(socket.getFileName() + ".log");
        // Its pid beside the socket: one whose JVM was killed holds the domain's disk, and is stopped at the next start.
        Path pidFile = socket.resolveSibling(socket.getFileName() + PID);
        Process daemon = HostProcesses.builder(List.of(program,
                "--chardev", "socket,path=" + socket + ",server=on,wait=off,id=qmp0", "--monitor", "chardev=qmp0",
                "--pidfile", pidFile.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean quit = false;
        try (Qmp qmp = Qmp.connect(socket, daemon, log, stall)) {
            qmp.execute(add("file", "src-file", "\"filename\":" + quote(source.toString())));
            qmp.execute(add("qcow2", "src", "\"file\":\"src-file\""));
            qmp.execute(add("file", "tgt-file", "\"filename\":" + quote(overlay.toString())));
            qmp.execute(add("qcow2", "tgt", "\"file\":\"tgt-file\",\"backing\":null"));
            qmp.execute("{\"execute\":\"transaction\",\"arguments\":{\"actions\":["
                    + "{\"type\":\"blockdev-backup\",\"data\":{\"job-id\":\"copy\",\"device\":\"src\",\"target\":\"tgt\","
                    + "\"sync\":\"bitmap\",\"bitmap\":" + quote(since) + ",\"bitmap-mode\":\"never\",\"auto-dismiss\":false}},"
                    + "{\"type\":\"block-dirty-bitmap-add\",\"data\":{\"node\":\"src\",\"name\":" + quote(next)
                    + ",\"persistent\":true}}]}}");
            String jobs;
            String progress = "";
            long movedAt = System.nanoTime();
            while (!(jobs = qmp.execute("{\"execute\":\"query-jobs\"}")).contains("\"concluded\"")) {
                String now = jobs.replaceAll(".*\"current-progress\":\\s*(\\d+).*", "$1");
                if (!now.equals(progress)) {
                    progress = now;
                    movedAt = System.nanoTime();
                } else if (System.nanoTime() - movedAt > stall.toNanos()) {
                    throw new BackupException(ErrorCode.IO_ERROR, "copying the dirty clusters of " + source
                            + " made no progress for " + stall.toSeconds() + " s (process.stall.seconds)");
                }
                Thread.sleep(20);
            }
            if (jobs.contains("\"error\"")) {
                throw new BackupException(ErrorCode.IO_ERROR, "copying the dirty clusters of " + source + " failed: " + jobs);
            }
            qmp.execute("{\"execute\":\"job-dismiss\",\"arguments\":{\"id\":\"copy\"}}");
            for (String node : List.of("tgt", "tgt-file", "src", "src-file")) {
                qmp.execute("{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"" + node + "\"}}");
            }
            qmp.execute("{\"execute\":\"quit\"}");
            quit = true;
        } finally {
            stop(daemon, quit);
            Files.deleteIfExists(socket);
            Files.deleteIfExists(log);
            Files.deleteIfExists(pidFile);
        }
    }

    /**
     * Waits for the daemon to end. One not told to quit (an error, or its job's thread interrupted
     * by a stopping provider) is sent SIGTERM first: it does not end on its own, and waiting the
     * full 30 s held the provider's stop. An interrupt does not cut the wait short (the daemon
     * would stay, holding the images' locks); it is kept for the caller.
     */
    private static void stop(Process daemon, boolean quit) {
        if (!quit) {
            daemon.destroy();
        }
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                        daemon.destroyForcibly().waitFor();
                    }
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String add(String driver, String node, String rest) {
        return "{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"" + driver + "\",\"node-name\":\"" + node + "\","
                + rest + "}}";
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

}
