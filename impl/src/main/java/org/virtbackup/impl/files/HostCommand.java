package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/** Runs a short host program (blkid, partx, losetup, mount, umount) and returns what it printed. */
final class HostCommand {

    private static final long LIMIT_SECONDS = 120;

    private HostCommand() {
    }

    /** Its standard output; fails with {@code IO_ERROR} naming the command and what it said when it does not exit 0. */
    static String run(String... command) {
        Result r = attempt(command);
        if (r.exit() != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, String.join(" ", command) + " failed (exit " + r.exit() + "): "
                    + r.output().strip());
        }
        return r.output();
    }

    /** Its exit code and output (standard error after standard output), whatever the exit code. */
    static Result attempt(String... command) {
        try {
            Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new BackupException(ErrorCode.IO_ERROR, command[0] + " did not end within " + LIMIT_SECONDS + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + command[0] + " (install it; "
                    + "scripts/setup-host.sh does): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while " + command[0] + " ran");
        }
    }

    record Result(int exit, String output) {
    }
}
