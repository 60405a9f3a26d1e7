package org.virtbackup.api;

import java.util.Objects;

/**
 * How an unmanaged backup's NBD server listens, as asked by the caller of
 * {@link BackupService#startUnmanaged}; the {@code <server>} element of the input XML.
 *
 * @param transport a private unix socket (the default) or TCP
 * @param host TCP only: the address to listen on; {@code null} for the configured one
 * @param port TCP only: the port; 0 for a free one from the configured range
 * @param tls TCP only: require TLS with client certificates (the host's libvirt must be set
 *        up for it: {@code backup_tls_x509_cert_dir} in {@code qemu.conf})
 */
public record NbdServer(Transport transport, String host, int port, boolean tls) {

    /** The ways an NBD server can listen. */
    public enum Transport {
        /** A unix socket in the service's runtime directory, readable by its owner only. */
        UNIX,
        /** A TCP address and port. */
        TCP
    }

    public NbdServer {
        Objects.requireNonNull(transport, "transport");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535: " + port);
        }
        if (transport == Transport.UNIX && (host != null || port != 0 || tls)) {
            throw new IllegalArgumentException("a unix socket takes no host, port or TLS");
        }
    }

    /** A private unix socket. */
    public static NbdServer unix() {
        return new NbdServer(Transport.UNIX, null, 0, false);
    }
}
