package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CopyResult;

@Service
@Command(scope = "backup", name = "copy", description = "Copies a repository backup into another repository (the "
        + "offsite copy), sending only the chunks it lacks")
public class CopyCommand implements Action {

    @Reference
    BackupService service;

    @Option(name = "--to", description = "The repository to copy into (file:///DIR, s3://BUCKET/PREFIX)", required = true)
    String to;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Override
    public Object execute() {
        CopyResult r = service.copy(Uuids.parse(uuid), to);
        System.out.println(r.backup() + " -> " + r.repository() + ": " + r.chunks() + " chunks, " + Sizes.bytes(r.bytesStored())
                + " stored, " + Sizes.bytes(r.bytesFound()) + " found there already");
        return null;
    }
}
