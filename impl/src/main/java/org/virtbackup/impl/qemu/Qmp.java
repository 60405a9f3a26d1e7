package org.virtbackup.impl.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * A minimal QMP client: one command at a time over a unix socket, events skipped. Enough to
 * drive a qemu-storage-daemon through a backup job.
 */
final class Qmp implements AutoCloseable {

    private static final Pattern ERROR = Pattern.compile("\"desc\":\\s*\"([^\"]*)\"");

    private final SocketChannel channel;
    private final BufferedReader in;
    private final Duration timeout;
    /** Closes the monitor under a read that waits too long; one per client, gone with it. */
    private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "virt-backup-qmp-watchdog");
        t.setDaemon(true);
        return t;
    });

    private Qmp(SocketChannel channel, Duration timeout) throws IOException {
        this.channel = channel;
        this.timeout = timeout;
        watchdog.setRemoveOnCancelPolicy(true);
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        try {
            execute(null); // the greeting
            execute("{\"execute\":\"qmp_capabilities\"}");
        } catch (IOException | RuntimeException e) {
            watchdog.shutdownNow();
            throw e;
        }
    }

    /**
     * Connects, waiting up to ten seconds for the daemon to open its socket.
     *
     * @param log where the daemon's messages go, for the error when it exits
     * @param timeout how long a command may go unanswered before the monitor is closed
     */
    static Qmp connect(Path socket, Process daemon, Path log, Duration timeout) throws IOException, InterruptedException {
        for (int i = 0; i < 200; i++) {
            try {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(socket));
                return new Qmp(ch, timeout);
            } catch (IOException e) {
                if (!daemon.isAlive()) {
                    throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon exited: "
                            + (Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : ""));
                }
                Thread.sleep(50);
            }
        }
        throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon did not open " + socket);
    }

    /**
     * Sends a command ({@code null}: none, to read the greeting) and returns its reply; a QMP error
     * becomes a BackupException, and so does a reply that does not come within the timeout: the
     * monitor is closed under the waiting read.
     */
    String execute(String command) throws IOException {
        AtomicBoolean settled = new AtomicBoolean(); // whoever sets it first, the answer or the watchdog, wins
        ScheduledFuture<?> timer = watchdog.schedule(() -> {
            if (settled.compareAndSet(false, true)) {
                closeQuietly();
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            String reply = exchange(command);
            if (!settled.compareAndSet(false, true)) {
                throw new AsynchronousCloseException(); // answered, but the watchdog had already closed the monitor
            }
            return reply;
        } catch (ClosedByInterruptException e) {
            throw e; // a cancel, not a silent daemon
        } catch (AsynchronousCloseException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon did not answer "
                    + (command == null ? "with its greeting" : name(command)) + " within " + timeout.toSeconds() + " s");
        } finally {
            timer.cancel(false);
        }
    }

    private String exchange(String command) throws IOException {
        if (command != null) {
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
        }
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains("\"return\"") || (command == null && line.contains("\"QMP\""))) {
                return line;
            }
            if (line.contains("\"error\"") && !line.contains("\"event\"")) {
                Matcher m = ERROR.matcher(line);
                throw new BackupException(ErrorCode.IO_ERROR, "QMP " + name(command) + " failed: "
                        + (m.find() ? m.group(1) : line));
            }
        }
        throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon closed its monitor");
    }

    private static String name(String command) {
        return command.replaceAll(".*\"execute\":\\s*\"([^\"]+)\".*", "$1");
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing is all that is wanted
        }
    }

    @Override
    public void close() throws IOException {
        watchdog.shutdownNow();
        channel.close();
    }
}
