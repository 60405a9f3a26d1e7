package org.virtbackup.impl.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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

    private Qmp(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        in.readLine(); // greeting
        execute("{\"execute\":\"qmp_capabilities\"}");
    }

    /** Connects, waiting up to ten seconds for the daemon to open its socket. */
    static Qmp connect(Path socket, Process daemon) throws IOException, InterruptedException {
        for (int i = 0; i < 200; i++) {
            try {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(socket));
                return new Qmp(ch);
            } catch (IOException e) {
                if (!daemon.isAlive()) {
                    throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon exited: "
                            + new String(daemon.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
                }
                Thread.sleep(50);
            }
        }
        throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon did not open " + socket);
    }

    /** Sends a command and returns its reply; a QMP error becomes a BackupException. */
    String execute(String command) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains("\"return\"")) {
                return line;
            }
            if (line.contains("\"error\"") && !line.contains("\"event\"")) {
                Matcher m = ERROR.matcher(line);
                throw new BackupException(ErrorCode.IO_ERROR, "QMP " + command.replaceAll(".*\"execute\":\\s*\"([^\"]+)\".*", "$1")
                        + " failed: " + (m.find() ? m.group(1) : line));
            }
        }
        throw new BackupException(ErrorCode.IO_ERROR, "qemu-storage-daemon closed its monitor");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
