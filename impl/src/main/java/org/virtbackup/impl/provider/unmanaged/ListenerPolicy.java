package org.virtbackup.impl.provider.unmanaged;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.NbdServer;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.provider.nbd.NbdListener;

/**
 * Where an export listens: what the request asked, completed from the configuration, and
 * refused when it would open a disk to the network. A TCP export on an address other than
 * loopback needs TLS (QEMU then requires client certificates, {@code backup_tls_x509_verify})
 * unless {@code nbd.tcp.plaintext} allows cleartext; its port, asked or chosen, lies in
 * {@code nbd.tcp.ports}.
 */
final class ListenerPolicy {

    private final VirtBackupConfig config;
    private final Path runtimeDirectory;

    ListenerPolicy(VirtBackupConfig config, Path runtimeDirectory) {
        this.config = config;
        this.runtimeDirectory = runtimeDirectory;
    }

    /** @param taken the ports of the exports running now */
    NbdListener choose(UUID backup, NbdServer asked, Set<Integer> taken) {
        boolean tcp = asked != null ? asked.transport() == NbdServer.Transport.TCP : "tcp".equals(config.nbd_transport());
        if (!tcp) {
            return NbdListener.unix(runtimeDirectory.resolve(backup + ".sock"));
        }
        String host = asked != null && asked.host() != null ? asked.host() : config.nbd_tcp_address();
        boolean tls = (asked != null && asked.tls()) || config.nbd_tls();
        if (!tls && !isLoopback(host) && !config.nbd_tcp_plaintext()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a TCP export on " + host + ", which is not a "
                    + "loopback address, needs TLS with client certificates: ask for it (tls='yes', backup:export --tls) "
                    + "or set nbd.tls; only nbd.tcp.plaintext=true allows cleartext there");
        }
        int[] range = range(config.nbd_tcp_ports());
        int port = asked != null && asked.port() != 0 ? asked.port() : free(host, range, taken);
        if (port < range[0] || port > range[1]) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "port " + port + " is outside nbd.tcp.ports "
                    + config.nbd_tcp_ports() + "; ask for one inside it, or for 0 (a free one)");
        }
        if (taken.contains(port)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "port " + port + " is taken by another export");
        }
        return NbdListener.tcp(host, port, tls);
    }

    /**
     * Whether an address is loopback. Only IP literals are taken: QEMU resolves a name again when
     * it binds, and may find another address than the one checked here.
     */
    private static boolean isLoopback(String host) {
        boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = host.matches("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
        if (!v4 && !v6) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a TCP export listens on an IP address, not on '"
                    + host + "' (a name would be resolved again by QEMU, perhaps to another address)");
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "'" + host + "' is not an IP address");
        }
    }

    private int free(String host, int[] range, Set<Integer> taken) {
        for (int port = range[0]; port <= range[1]; port++) {
            if (!taken.contains(port) && bindable(host, port)) {
                return port;
            }
        }
        throw new BackupException(ErrorCode.INVALID_STATE, "no free port in nbd.tcp.ports " + config.nbd_tcp_ports()
                + " on " + host + "; end an export or widen the range");
    }

    private static int[] range(String ports) {
        String[] parts = ports.strip().split("-");
        try {
            int first = Integer.parseInt(parts[0].strip());
            int last = parts.length > 1 ? Integer.parseInt(parts[1].strip()) : first;
            if (parts.length > 2 || first < 1 || last > 65535 || first > last) {
                throw new NumberFormatException();
            }
            return new int[] {first, last};
        } catch (NumberFormatException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "nbd.tcp.ports must be FIRST-LAST within 1-65535, not '"
                    + ports + "'");
        }
    }

    private static boolean bindable(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
