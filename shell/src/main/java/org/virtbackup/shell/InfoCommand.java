package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.XmlFlag;

@Service
@Command(scope = "backup", name = "info", description = "Prints a backup's XML description")
public class InfoCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Option(name = "--no-domain", description = "Leave out the domain XML kept with the backup")
    boolean noDomain;

    @Override
    public Object execute() {
        System.out.println(service.getXmlDesc(Uuids.parse(uuid), Flags.of(XmlFlag.class).with(noDomain, XmlFlag.NO_DOMAIN).set()));
        return null;
    }
}
