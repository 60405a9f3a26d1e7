package org.virtbackup.shell;

import java.util.List;
import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.NbdServer;

@Service
@Command(scope = "backup", name = "export", description = "Exports a running domain's disks over NBD for a third-party "
        + "backup tool (an unmanaged backup); end it with backup:finish UUID")
public class ExportCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID", required = true)
    @Completion(DomainCompleter.class)
    String domain;

    @Option(name = "--disk", description = "Disk to export (repeat; default: every disk)", multiValued = true)
    List<String> disks;

    @Option(name = "--description", description = "Free text kept with the backup")
    String description;

    @Option(name = "--parent", description = "UUID of a backup (managed or unmanaged): the export then carries the "
            + "dirty bitmap of what changed since it")
    @Completion(BackupCompleter.class)
    String parent;

    @Option(name = "--incremental", description = "Relative to the domain's latest valid backup; full if there is none")
    boolean incremental;

    @Option(name = "--strict", description = "Fail rather than fall back to a full export when the parent cannot serve")
    boolean strict;

    @Option(name = "--full", description = "A full export, whatever else is said")
    boolean full;

    @Option(name = "--tcp", description = "Listen on TCP, HOST:PORT (PORT 0 or HOST alone: a free port of nbd.tcp.ports) "
            + "instead of a private unix socket")
    String tcp;

    @Option(name = "--tls", description = "With --tcp: require TLS with client certificates")
    boolean tls;

    @Option(name = "--quiesce", description = "Freeze guest file systems through the guest agent")
    boolean quiesce;

    @Option(name = "--xml", description = "File holding a <domainbackup> (instead of the options above)")
    String xmlFile;

    @Override
    public Object execute() throws Exception {
        if (xmlFile != null && (tcp != null || tls || disks != null || parent != null || description != null)) {
            throw new IllegalArgumentException("--xml FILE says it all: give --disk, --parent, --description, --tcp and "
                    + "--tls in its <domainbackup>, or drop --xml");
        }
        if (tls && tcp == null) {
            throw new IllegalArgumentException("--tls needs --tcp HOST:PORT: a unix socket is private to this host");
        }
        if (full && (parent != null || incremental || strict)) {
            throw new IllegalArgumentException("--full excludes --parent, --incremental and --strict");
        }
        if (parent != null && incremental) {
            throw new IllegalArgumentException("give --parent UUID or --incremental (the latest backup), not both");
        }
        Set<CreateFlag> flags = Flags.of(CreateFlag.class).with(quiesce, CreateFlag.QUIESCE)
                .with(incremental, CreateFlag.INCREMENTAL).with(strict, CreateFlag.STRICT_INCREMENTAL)
                .with(full, CreateFlag.FORCE_FULL).set();
        Backup backup = xmlFile != null
                ? service.startUnmanaged(domain, XmlFiles.read(xmlFile), flags)
                : service.startUnmanaged(domain, new BackupRequest(null, description,
                        parent == null ? null : Uuids.parse(parent), disks, server()), flags);
        if (!backup.message().isEmpty()) {
            System.out.println("Note: " + backup.message());
        }
        System.out.println("Exporting " + backup.domain().name() + " (" + backup.kind().name().toLowerCase()
                + (backup.parent() == null ? "" : " since " + backup.parent()) + ") until backup:finish "
                + backup.uuid());
        for (BackupDisk d : backup.disks()) {
            System.out.println("  " + d.name() + "  " + d.export().uri()
                    + (d.export().bitmapContext().isEmpty() ? "" : "  changed: " + d.export().bitmapContext()));
        }
        System.out.println(backup.uuid());
        return null;
    }

    private NbdServer server() {
        if (tcp == null) {
            return null;
        }
        return new NbdServer(NbdServer.Transport.TCP, host(tcp), port(tcp), tls);
    }

    /** The host of HOST, HOST:PORT, [IPv6]:PORT or a bare IPv6 address; {@code null} for ":PORT". */
    static String host(String tcp) {
        if (tcp.startsWith("[")) {
            int close = tcp.indexOf(']');
            if (close < 0 || !(close == tcp.length() - 1 || tcp.charAt(close + 1) == ':')) {
                throw new IllegalArgumentException("--tcp takes HOST:PORT or [IPv6]:PORT, not '" + tcp + "'");
            }
            return tcp.substring(1, close);
        }
        if (tcp.indexOf(':') != tcp.lastIndexOf(':')) {
            return tcp; // a bare IPv6 address: its colons are not a port's
        }
        int colon = tcp.indexOf(':');
        String host = colon < 0 ? tcp : tcp.substring(0, colon);
        return host.isEmpty() ? null : host;
    }

    /** The port of {@link #host}'s forms, 0 when none is given (a free one of nbd.tcp.ports). */
    static int port(String tcp) {
        host(tcp); // its form checked
        int close = tcp.startsWith("[") ? tcp.indexOf(']') : -1;
        String rest = close >= 0 ? tcp.substring(close + 1) : tcp.indexOf(':') != tcp.lastIndexOf(':') ? "" : tcp;
        int colon = rest.lastIndexOf(':');
        try {
            return colon < 0 ? 0 : Integer.parseInt(rest.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--tcp takes HOST:PORT or [IPv6]:PORT, not '" + tcp + "'");
        }
    }
}
