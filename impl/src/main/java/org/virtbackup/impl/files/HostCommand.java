package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.qemu.HostProcesses;

/**
 * Runs a short host program (blkid, partx, losetup, mount, umount): its standard output apart
 * from its errors (a warning never lands in what is parsed), killed when it outlives the limit
 * (a mount stuck on a broken file system must not hold the domain for ever). Both go to owner-only
 * temporary files rather than pipes: the wait keeps its limit without a reader thread per stream.
 */
final class HostCommand {

    private static final long LIMIT_SECONDS = 120;

    private HostCommand() {
    }

    /** Its standard output; fails with {@code IO_ERROR} naming the command and what it said when it does not exit 0. */
    static String run(String... command) {
        Result r = attempt(command);
        if (r.exit() != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, String.join(" ", command) + " failed (exit " + r.exit() + "): "
                    + r.errors().strip());
        }
        return r.output();
    }

    /**
     * Its exit code, output and errors, whatever the exit code. An interrupt (a command's Ctrl-C)
     * does not cut a cleanup short: the program is waited for, and the interrupt kept for the caller.
     */
    static Result attempt(String... command) {
        boolean interrupted = Thread.interrupted();
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("virtbackup-out-", ".txt"); // 0600 on POSIX
            err = Files.createTempFile("virtbackup-err-", ".txt");
            Process p;
            try {
                p = HostProcesses.builder(List.of(command)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) { // error=2: ENOENT, the program is not there
                throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + command[0]
                        + (String.valueOf(e.getMessage()).contains("error=2,") ? " (install it; scripts/setup-host.sh does)" : "")
                        + ": " + e.getMessage());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
            while (true) {
                try {
                    if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        p.destroyForcibly();
                        throw new BackupException(ErrorCode.IO_ERROR, String.join(" ", command) + " did not end within "
                                + LIMIT_SECONDS + " s and was killed");
                    }
                    return new Result(p.exitValue(), text(out), text(err));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot keep what " + command[0]
                    + " says in a temporary file (java.io.tmpdir): " + e.getMessage());
        } finally {
            for (Path said : new Path[] {out, err}) {
                if (said != null) {
                    Paths.deleteQuietly(said);
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Decoded leniently: a guest's label in another encoding must not fail the command. */
    private static String text(Path said) throws IOException {
        return new String(Files.readAllBytes(said), StandardCharsets.UTF_8);
    }

    /** What a program did: its exit code, its standard output, its standard error. */
    record Result(int exit, String output, String errors) {

        /** Both, for an error message. */
        String said() {
            return (output + errors).strip();
        }
    }
}
