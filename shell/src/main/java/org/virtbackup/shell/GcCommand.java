package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CollectResult;

@Service
@Command(scope = "backup", name = "gc", description = "Removes from repositories the chunks no backup names "
        + "(never those a running backup will name)")
public class GcCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "url", description = "Repository URL (file:///DIR, s3://BUCKET/PREFIX); none: every repository in use")
    String url;

    @Override
    public Object execute() {
        for (CollectResult r : service.collect(url)) {
            System.out.println(r.repository() + ": " + r.chunksRemoved() + " of " + r.chunksBefore() + " chunks removed, "
                    + r.indexesRemoved() + " indexes of unfinished backups removed");
        }
        return null;
    }
}
