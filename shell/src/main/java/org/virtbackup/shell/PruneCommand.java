package org.virtbackup.shell;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PruneDecision;

@Service
@Command(scope = "backup", name = "prune", description = "Removes the backups a policy's retention no longer keeps "
        + "(qcow2: merged into their children; repositories: deleted, then collected), or with --dry-run only says "
        + "what it would keep and remove, and why")
public class PruneCommand implements Action {

    @Reference
    PolicyService policies;

    @Argument(index = 0, name = "policy-or-domain", required = true,
            description = "A policy (its domains), or a domain (by the one policy covering it)")
    @Completion(PolicyOrDomainCompleter.class)
    String target;

    @Option(name = "--dry-run", description = "Change nothing: print what would be kept and removed")
    boolean dryRun;

    @Override
    public Object execute() {
        List<PruneDecision> decisions = dryRun ? policies.plan(target) : policies.prune(target);
        String domain = null;
        for (PruneDecision d : decisions) {
            if (!d.domain().equals(domain)) {
                domain = d.domain();
                System.out.println(domain + ":");
            }
            System.out.println("  " + (d.keep() ? "keep   " : dryRun ? "remove " : "removed") + " " + d.backup() + "  "
                    + Outcomes.time(d.time()) + "  " + d.reason());
        }
        long removed = decisions.stream().filter(d -> !d.keep()).count();
        System.out.println(decisions.size() - removed + " kept, " + removed + (dryRun ? " would be removed" : " removed"));
        return null;
    }
}
