package org.virtbackup.shell;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.JobState;

@Service
@Command(scope = "backup", name = "create", description = "Starts a managed backup of a domain")
public class CreateCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID", required = true)
    String domain;

    @Option(name = "--disk", description = "Disk to back up (repeat; default: every disk)", multiValued = true)
    List<String> disks;

    @Option(name = "--description", description = "Free text kept with the backup")
    String description;

    @Option(name = "--xml", description = "File holding a <domainbackup> (instead of --disk/--description)")
    String xmlFile;

    @Option(name = "--quiesce", description = "Freeze guest file systems through the guest agent")
    boolean quiesce;

    @Option(name = "--wait", description = "Show progress until the backup ends; the last line is its UUID")
    boolean wait;

    @Override
    public Object execute() throws Exception {
        Set<CreateFlag> flags = quiesce ? EnumSet.of(CreateFlag.QUIESCE) : EnumSet.noneOf(CreateFlag.class);
        Backup backup = xmlFile != null
                ? service.create(domain, Files.readString(Path.of(xmlFile)), flags)
                : service.create(domain, new BackupRequest(null, description, null, disks), flags);
        if (!wait) {
            System.out.println(backup.uuid());
            return null;
        }
        System.out.println("Backing up " + backup.domain().name() + ": "
                + String.join(", ", backup.disks().stream().map(d -> d.name()).toList()));
        JobState end = Progress.follow(service, backup.uuid(), System.out);
        if (end != JobState.COMPLETED) {
            String why = service.lookup(backup.uuid()).map(Backup::message).orElse("");
            throw new IllegalStateException("backup " + backup.uuid() + " " + end.name().toLowerCase()
                    + (why.isEmpty() ? "" : ": " + why));
        }
        System.out.println(backup.uuid());
        return null;
    }
}
