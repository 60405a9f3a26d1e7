package org.virtbackup.shell;

import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PolicyStatus;

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
        try {
            policies.policies().stream().map(PolicyStatus::name).forEach(names.getStrings()::add);
        } catch (RuntimeException e) {
            // refused to this user: the domains may still be offered
        }
        try {
            service.domains().stream().map(DomainRef::name).forEach(names.getStrings()::add);
        } catch (RuntimeException e) {
            // libvirtd away: the policies are still offered
        }
        return names.complete(session, commandLine, candidates);
    }
}
