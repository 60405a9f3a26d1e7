package org.virtbackup.shell;

import java.util.Collection;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;

/** Completes the names of the domains libvirt knows. */
@Service
public class DomainCompleter implements Completer {

    @Reference
    BackupService service;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter names = new StringsCompleter();
        if (!addNames(service, names.getStrings())) {
            return -1; // libvirtd away: nothing to offer, the command itself will say why
        }
        return names.complete(session, commandLine, candidates);
    }

    /** Adds the domains' names; false when libvirtd (or the service) does not answer. */
    static boolean addNames(BackupService service, Collection<String> names) {
        try {
            service.domains().stream().map(DomainRef::name).forEach(names::add);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
