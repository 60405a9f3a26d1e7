package org.virtbackup.shell;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PolicyStatus;

@Service
@Command(scope = "backup", name = "policies", description = "Shows each policy: its domains, schedule and next run, "
        + "and its last run's outcome per domain")
public class PoliciesCommand implements Action {

    @Reference
    PolicyService policies;

    @Override
    public Object execute() {
        var all = policies.policies();
        if (all.isEmpty()) {
            System.out.println("No policy is configured (etc/org.virtbackup.policy-NAME.cfg; see the README).");
        }
        for (PolicyStatus p : all) {
            System.out.println(p.name() + ": domains " + String.join(", ", p.domains()) + "; "
                    + (p.schedule().isEmpty() ? "on demand only" : "schedule '" + p.schedule() + "', next run "
                            + Outcomes.time(p.nextRun())));
            if (!p.valid()) {
                System.out.println("  NOT USABLE: " + p.problem());
            }
            if (p.valid() || p.lastRun() != null) {
                System.out.println("  last run: " + Outcomes.run(p.lastRun()));
            }
            if (p.lastRun() != null) {
                p.lastRun().outcomes().forEach(o -> System.out.println("  " + Outcomes.outcome(o)));
            }
        }
        return null;
    }
}
