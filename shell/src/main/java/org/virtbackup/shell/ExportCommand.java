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
        if (tls && tcp == null) {
            throw new IllegalArgumentException("--tls needs --tcp HOST:PORT: a unix socket is private to this host");
        }
        Set<CreateFlag> flags = Flags.of(CreateFlag.class).with(quiesce, CreateFlag.QUIESCE)
                .with(incremental, CreateFlag.INCREMENTAL).set();
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
        int colon = tcp.lastIndexOf(':');
        String host = colon < 0 ? tcp : tcp.substring(0, colon);
        int port;
        try {
            port = colon < 0 ? 0 : Integer.parseInt(tcp.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--tcp takes HOST:PORT, not '" + tcp + "'");
        }
        return new NbdServer(NbdServer.Transport.TCP, host.isEmpty() ? null : host, port, tls);
    }
}
