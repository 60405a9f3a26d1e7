package org.virtbackup.shell;

import java.io.PrintStream;
import java.security.AccessController;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import javax.security.auth.Subject;
import java.util.concurrent.CompletionException;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;

/**
 * The live progress line of {@code --wait}: redrawn in place every half second, as wide as the
 * terminal allows; the rate is measured from the first line when the service does not report one.
 */
final class Progress {

    private static final long REDRAW_MS = 500;

    private final PrintStream out;
    private final int terminalWidth;
    private final long started = System.nanoTime();
    private boolean drawn;

    Progress(PrintStream out, int terminalWidth) {
        this.out = out;
        this.terminalWidth = terminalWidth;
    }

    /** Follows a running backup job until it ends; returns how it ended. */
    JobState follow(BackupService service, UUID backup) throws InterruptedException {
        JobState state;
        try {
            while ((state = service.finishJob(backup, Set.of(FinishJobFlag.CHECK))) == JobState.RUNNING) {
                draw(service.getParameters(backup));
                Thread.sleep(REDRAW_MS);
            }
            draw(service.getParameters(backup));
        } catch (BackupException e) {
            if (e.code() != ErrorCode.NO_BACKUP) {
                throw e;
            }
            state = JobState.CANCELLED; // a cancelled backup leaves nothing, its record included (another operator's cancel)
        }
        end();
        return state;
    }

    /**
     * Runs a long call (a restore, a merge) on another thread and draws {@code bytes} ({total,
     * done}, empty while unknown) until it returns; its exception is thrown here.
     */
    <T> T during(Callable<T> call, Supplier<Optional<long[]>> bytes) throws Exception {
        Subject operator = currentSubject();
        // Its own thread: a restore takes hours, and the common pool serves the service's short tasks.
        CompletableFuture<T> running = CompletableFuture.supplyAsync(() -> {
            try {
                return asOperator(operator, call);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, task -> {
            Thread t = new Thread(task, "virt-backup-shell-wait");
            t.setDaemon(true);
            t.start();
        });
        long[] last = null;
        while (true) {
            try {
                T result = running.get(REDRAW_MS, TimeUnit.MILLISECONDS);
                if (last != null) {
                    draw(last[0], last[0], -1); // it has ended: all of it is done
                }
                end();
                return result;
            } catch (InterruptedException e) {
                end();
                out.println("still running in the service; backup:params shows its progress");
                throw e;
            } catch (TimeoutException e) {
                Optional<long[]> now;
                try {
                    now = bytes.get();
                } catch (RuntimeException unknown) {
                    now = Optional.empty(); // nothing to draw (no viewer role, the service busy): the call goes on
                }
                if (now.isPresent()) {
                    last = now.get();
                    draw(last[1], last[0], -1);
                }
            } catch (ExecutionException e) {
                end();
                throw e.getCause() instanceof Exception ex ? ex : e;
            }
        }
    }

    /** The JAAS Subject of the operator running the command, if any. */
    @SuppressWarnings("removal") // Karaf's RBAC (4.4, Java 17) still reads the Subject from the access control context
    private static Subject currentSubject() {
        return Subject.getSubject(AccessController.getContext());
    }

    /** Runs the call as the operator on this thread: BackupService checks its caller's roles. */
    @SuppressWarnings("removal")
    private static <T> T asOperator(Subject operator, Callable<T> call) throws Exception {
        if (operator == null) {
            return call.call();
        }
        try {
            return Subject.doAs(operator, (PrivilegedExceptionAction<T>) call::call);
        } catch (PrivilegedActionException e) {
            throw e.getException();
        }
    }

    /** Milliseconds since this progress began. */
    long elapsedMillis() {
        return (System.nanoTime() - started) / 1_000_000;
    }

    private void draw(Map<String, Object> p) {
        draw((Long) p.get(BackupParameters.BYTES_PROCESSED), (Long) p.get(BackupParameters.BYTES_TOTAL),
                (Long) p.get(BackupParameters.THROUGHPUT));
    }

    private void draw(long done, long total, long bytesPerSecond) {
        long rate = bytesPerSecond >= 0 ? bytesPerSecond : done * 1000 / Math.max(1, elapsedMillis());
        out.print("\r" + Sizes.progress(done, total, rate, terminalWidth));
        out.flush();
        drawn = true;
    }

    private void end() {
        if (drawn) {
            out.println();
            drawn = false;
        }
    }
}
