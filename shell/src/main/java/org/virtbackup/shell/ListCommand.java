package org.virtbackup.shell;

import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ListFlag;

@Service
@Command(scope = "backup", name = "list",
        description = "Lists backups, of one domain or of all (flags of one kind are OR-ed, kinds AND-ed)")
public class ListCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID (default: all domains)")
    @Completion(DomainCompleter.class)
    String domain;

    @Option(name = "--full", description = "Full backups")
    boolean full;

    @Option(name = "--incremental", description = "Incremental backups")
    boolean incremental;

    @Option(name = "--roots", description = "Backups without parent")
    boolean roots;

    @Option(name = "--leaves", description = "Backups without children")
    boolean leaves;

    @Option(name = "--managed", description = "Managed backups")
    boolean managed;

    @Option(name = "--unmanaged", description = "Unmanaged (NBD export) backups")
    boolean unmanaged;

    @Option(name = "--active", description = "Backups whose job is running")
    boolean active;

    @Option(name = "--latest", description = "Only the latest backup per domain, after the other filters")
    boolean latest;

    @Override
    public Object execute() {
        Set<ListFlag> flags = Flags.of(ListFlag.class).with(full, ListFlag.FULL)
                .with(incremental, ListFlag.INCREMENTAL).with(roots, ListFlag.ROOTS).with(leaves, ListFlag.LEAVES)
                .with(managed, ListFlag.MANAGED).with(unmanaged, ListFlag.UNMANAGED).with(active, ListFlag.ACTIVE)
                .with(latest, ListFlag.LATEST).set();
        BackupTable.print(service.list(domain, flags), System.out, Terminals.width(session));
        return null;
    }
}
