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
@Command(scope = "backup", name = "children", description = "Lists the backups built on a backup")
public class ChildrenCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Option(name = "--descendants", description = "The whole subtree, not only the direct children")
    boolean descendants;

    @Override
    public Object execute() {
        Set<ListFlag> flags = Flags.of(ListFlag.class).with(descendants, ListFlag.DESCENDANTS).set();
        BackupTable.print(service.listChildren(Uuids.parse(uuid), flags), System.out, Terminals.width(session));
        return null;
    }
}
