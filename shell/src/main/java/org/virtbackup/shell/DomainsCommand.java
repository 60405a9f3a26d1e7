package org.virtbackup.shell;

import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;

@Service
@Command(scope = "backup", name = "domains", description = "Lists the domains libvirt knows, with how many backups each has")
public class DomainsCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

    @Override
    public Object execute() {
        FittedTable table = new FittedTable().flexible("Domain").column("UUID", FittedTable.ALWAYS, false)
                .column("Backups", 50, true);
        for (DomainRef d : service.domains()) {
            table.row(d.name(), d.uuid(), service.list(d.uuid().toString(), Set.of()).size());
        }
        table.print(System.out, Terminals.width(session));
        return null;
    }
}
