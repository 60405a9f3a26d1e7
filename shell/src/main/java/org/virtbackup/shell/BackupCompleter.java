package org.virtbackup.shell;

import java.util.List;
import java.util.Set;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.virtbackup.api.BackupService;

/** Completes the UUIDs of the backups in the catalogue, newest last. */
@Service
public class BackupCompleter implements Completer {

    @Reference
    BackupService service;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter uuids = new StringsCompleter();
        try {
            service.list(null, Set.of()).forEach(b -> uuids.getStrings().add(b.uuid().toString()));
        } catch (RuntimeException e) {
            return -1; // the service refuses this user, or is away: nothing to offer, the command will say why
        }
        return uuids.complete(session, commandLine, candidates);
    }
}
