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
import org.apache.karaf.shell.api.console.Session;
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

    @Reference
    Session session;

    @Argument(index = 0, name = "domain", description = "Domain name or UUID", required = true)
    @Completion(DomainCompleter.class)
    String domain;

    @Option(name = "--disk", description = "Disk to back up (repeat; default: every disk)", multiValued = true)
    List<String> disks;

    @Option(name = "--description", description = "Free text kept with the backup")
    String description;

    @Option(name = "--xml", description = "File holding a <domainbackup> (instead of --disk/--description)")
    String xmlFile;

    @Option(name = "--quiesce", description = "Freeze guest file systems through the guest agent")
    boolean quiesce;

    @Option(name = "--parent", description = "UUID of the backup this one is incremental to")
    @Completion(BackupCompleter.class)
    String parent;

    @Option(name = "--incremental", description = "Incremental to the domain's latest valid backup; full if there is none")
    boolean incremental;

    @Option(name = "--strict", description = "Fail rather than fall back to a full backup when the parent cannot serve")
    boolean strict;

    @Option(name = "--full", description = "A full backup, whatever else is said")
    boolean full;

    @Option(name = "--wait", description = "Show progress until the backup ends; the last line is its UUID")
    boolean wait;

    @Override
    public Object execute() throws Exception {
        if (xmlFile != null && (disks != null || parent != null || description != null)) {
            throw new IllegalArgumentException("--xml FILE says it all: give --disk, --parent and --description in its "
                    + "<domainbackup>, or drop --xml");
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
                ? service.create(domain, XmlFiles.read(xmlFile), flags)
                : service.create(domain, new BackupRequest(null, description, parent == null ? null : Uuids.parse(parent),
                        disks), flags);
        if (!backup.message().isEmpty()) {
            System.out.println("Note: " + backup.message());
        }
        if (!wait) {
            System.out.println(backup.uuid());
            return null;
        }
        System.out.println("Backing up " + backup.domain().name() + " (" + backup.kind().name().toLowerCase()
                + (backup.parent() == null ? "" : " since " + backup.parent()) + "): "
                + String.join(", ", backup.disks().stream().map(d -> d.name()).toList()));
        JobState end = new Progress(System.out, Terminals.width(session)).follow(service, backup.uuid());
        if (end != JobState.COMPLETED) {
            String why = service.lookup(backup.uuid()).map(Backup::message).orElse("");
            throw new IllegalStateException("backup " + backup.uuid() + " " + end.name().toLowerCase()
                    + (why.isEmpty() ? "" : ": " + why));
        }
        Notes.print(service, backup.uuid(), backup.message());
        System.out.println(backup.uuid());
        return null;
    }
}
