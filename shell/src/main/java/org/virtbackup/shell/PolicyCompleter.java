package org.virtbackup.shell;

import java.util.Collection;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PolicyStatus;

/** Completes the names of the configured policies. */
@Service
public class PolicyCompleter implements Completer {

    @Reference
    PolicyService policies;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter names = new StringsCompleter();
        if (!addNames(policies, names.getStrings())) {
            return -1; // the service refuses this user: nothing to offer, the command will say why
        }
        return names.complete(session, commandLine, candidates);
    }

    /** Adds the policies' names; false when the service refuses this user. */
    static boolean addNames(PolicyService policies, Collection<String> names) {
        try {
            policies.policies().stream().map(PolicyStatus::name).forEach(names::add);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
