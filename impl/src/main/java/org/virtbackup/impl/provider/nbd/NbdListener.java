package org.virtbackup.impl.provider.nbd;

import java.nio.file.Path;

import org.virtbackup.impl.xml.SafeXml;

/**
 * Where the NBD server of a pull-mode job listens: a unix socket, or a TCP address and port,
 * with or without TLS. Knows libvirt's {@code <server>} element and the NBD URIs clients use.
 */
public record NbdListener(Path socket, String host, int port, boolean tls) {

    public static NbdListener unix(Path socket) {
        return new NbdListener(socket, null, 0, false);
    }

    public static NbdListener tcp(String host, int port, boolean tls) {
        return new NbdListener(null, host, port, tls);
    }

    /** The listener an export URI written by {@link #uri} names. */
    public static NbdListener parse(String uri) {
        if (uri.startsWith("nbd+unix:")) {
            return unix(Path.of(uri.substring(uri.indexOf("?socket=") + "?socket=".length())));
        }
        boolean tls = uri.startsWith("nbds://");
        String hostPort = uri.substring(uri.indexOf("://") + 3, uri.indexOf('/', uri.indexOf("://") + 3));
        int colon = hostPort.lastIndexOf(':');
        return tcp(hostPort.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(hostPort.substring(colon + 1)), tls);
    }

    public boolean isUnix() {
        return socket != null;
    }

    /** libvirt's {@code <server>} element of a pull-mode {@code <domainbackup>}. */
    String serverXml() {
        if (isUnix()) {
            return "<server transport='unix' socket='" + SafeXml.escape(socket.toString()) + "'/>";
        }
        return "<server transport='tcp' name='" + SafeXml.escape(host) + "' port='" + port + "'"
                + (tls ? " tls='yes'" : "") + "/>";
    }

    /** The URI of one export, as libnbd and QEMU read it. */
    public String uri(String exportName) {
        if (isUnix()) {
            return "nbd+unix:///" + exportName + "?socket=" + socket;
        }
        String h = host.contains(":") ? "[" + host + "]" : host;
        return (tls ? "nbds://" : "nbd://") + h + ":" + port + "/" + exportName;
    }
}
