package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * Waits for a qemu program to end, and kills it (SIGKILL) when it hangs: when its I/O counters in
 * {@code /proc/<pid>/io} (every thread's read and write calls and storage bytes; not socket
 * send/recvmsg, but every copy writes or reads a file) have not moved for the stall limit, or when
 * the waiting thread is interrupted (a cancel). A deadline would not do: a copy of a large disk
 * may rightly take hours, but not ten minutes without touching a file. The program must be
 * qemu-img itself, not a wrapper script: only the process started is watched and killed.
 */
final class ChildProcess {

    private ChildProcess() {
    }

    /** The exit code of the process; killed and failed with {@code IO_ERROR} when it stalls, killed when interrupted. */
    static int await(Process process, Duration stall, String what) throws InterruptedException {
        return await(process, stall, what, true);
    }

    /**
     * @param killOnInterrupt false for a copy meant to outlive its watcher (a bundle stopping
     *        interrupts it, and the next activation adopts the copy); its cancel kills it itself
     */
    static int await(Process process, Duration stall, String what, boolean killOnInterrupt) throws InterruptedException {
        long seen = ioCount(process.pid());
        long quietSince = System.nanoTime();
        try {
            while (!process.waitFor(1, TimeUnit.SECONDS)) {
                long now = ioCount(process.pid());
                if (now != seen || now < 0) { // unreadable counters: never taken for a stall
                    seen = now;
                    quietSince = System.nanoTime();
                } else if (System.nanoTime() - quietSince > stall.toNanos()) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // one stuck in the kernel may outlive it
                    throw new BackupException(ErrorCode.IO_ERROR, what + " neither read nor wrote anything for "
                            + stall.toSeconds() + " s and was killed (process.stall.seconds)");
                }
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            if (killOnInterrupt) {
                process.destroyForcibly();
            }
            throw e;
        }
    }

    /** Every byte and call the process has read or written so far; -1 when it cannot be read. */
    private static long ioCount(long pid) {
        try {
            long sum = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && !line.startsWith("cancelled_write_bytes")) {
                    sum += Long.parseLong(line.substring(colon + 1).strip());
                }
            }
            return sum;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
