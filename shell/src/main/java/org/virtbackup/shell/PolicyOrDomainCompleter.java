package org.virtbackup.shell;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.policy.PolicyService;

/** Completes what backup:prune takes: the configured policies' names and the domains' names. */
@Service
public class PolicyOrDomainCompleter implements Completer {

    @Reference
    PolicyService policies;

    @Reference
    BackupService service;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter names = new StringsCompleter();
        // Each list on its own: policies refused to this user, or libvirtd away, still leave the other.
        boolean policiesListed = PolicyCompleter.addNames(policies, names.getStrings());
        boolean domainsListed = DomainCompleter.addNames(service, names.getStrings());
        if (!policiesListed && !domainsListed) {
            return -1;
        }
        return names.complete(session, commandLine, candidates);
    }
}
