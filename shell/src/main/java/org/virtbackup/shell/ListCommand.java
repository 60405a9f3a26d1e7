package org.virtbackup.shell;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ListFlag;

@Service
@Command(scope = "backup", name = "list", description = "Lists backups, of one domain or of all")
public class ListCommand implements Action {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    @Reference
    BackupService service;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID (default: all domains)")
    String domain;

    @Option(name = "--full", description = "Full backups only")
    boolean full;

    @Option(name = "--latest", description = "Only the latest backup per domain")
    boolean latest;

    @Option(name = "--active", description = "Only backups whose job is running")
    boolean active;

    @Override
    public Object execute() {
        Set<ListFlag> flags = EnumSet.noneOf(ListFlag.class);
        if (full) {
            flags.add(ListFlag.FULL);
        }
        if (latest) {
            flags.add(ListFlag.LATEST);
        }
        if (active) {
            flags.add(ListFlag.ACTIVE);
        }
        ShellTable table = new ShellTable();
        table.column("UUID");
        table.column("Domain");
        table.column("Created");
        table.column("Kind");
        table.column("State");
        table.column("Disks");
        table.column("Stored").alignRight();
        for (Backup b : service.list(domain, flags)) {
            table.addRow().addContent(b.uuid(), b.domain().name(), TIME.format(b.creationTime()),
                    b.kind().name().toLowerCase(), b.state().name().toLowerCase(),
                    String.join(",", b.disks().stream().map(BackupDisk::name).toList()),
                    Sizes.bytes(b.disks().stream().mapToLong(BackupDisk::stored).sum()));
        }
        table.print(System.out);
        return null;
    }
}
