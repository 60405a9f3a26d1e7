package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.virtbackup.api.BackupService;

@Service
@Command(scope = "backup", name = "params", description = "Prints a backup's progress and statistics")
public class ParamsCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Override
    public Object execute() {
        FittedTable table = new FittedTable().column("Parameter", FittedTable.ALWAYS, false).flexible("Value");
        service.getParameters(Uuids.parse(uuid)).forEach((k, v) -> table.row(k, v));
        table.print(System.out, Terminals.width(session));
        return null;
    }
}
