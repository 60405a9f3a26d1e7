package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;

@Service
@Command(scope = "backup", name = "domain", description = "Prints the domain a backup was taken of: name and UUID, as recorded")
public class DomainCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Override
    public Object execute() {
        DomainRef d = service.getDomain(Uuids.parse(uuid));
        System.out.println(d.name() + " " + d.uuid());
        return null;
    }
}
