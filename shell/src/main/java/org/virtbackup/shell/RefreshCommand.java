package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.RefreshResult;

@Service
@Command(scope = "backup", name = "refresh", description = "Lists repositories again now: the backups other hosts "
        + "sharing them completed or deleted appear or go (done every repository.refresh.seconds anyway)")
public class RefreshCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "url", description = "Repository URL (file:///DIR, s3://BUCKET/PREFIX); none: every "
            + "repository in use")
    String url;

    @Override
    public Object execute() {
        for (RefreshResult r : service.refresh(url)) {
            System.out.println(r.repository() + ": " + r.added() + " backups appeared, " + r.removed() + " went");
        }
        return null;
    }
}
