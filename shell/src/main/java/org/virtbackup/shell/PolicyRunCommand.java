package org.virtbackup.shell;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.api.policy.PolicyService;

@Service
@Command(scope = "backup", name = "policy-run", description = "Runs a policy now, as its schedule would, and prints "
        + "each domain's outcome as it ends (Ctrl-C stops the watching, not the run)")
public class PolicyRunCommand implements Action {

    @Reference
    PolicyService policies;

    @Argument(index = 0, name = "policy", required = true, description = "Policy name")
    @Completion(PolicyCompleter.class)
    String name;

    @Option(name = "--no-wait", description = "Return once the run has started")
    boolean noWait;

    @Override
    public Object execute() throws InterruptedException {
        PolicyRun run = policies.run(name);
        System.out.println("Run of policy " + name + " started, " + run.outcomes().size() + " domains: "
                + run.outcomes().stream().map(DomainOutcome::domain).toList());
        if (noWait) {
            return null;
        }
        Set<String> printed = new HashSet<>();
        while (true) {
            Optional<PolicyRun> now = policies.policies().stream().filter(p -> p.name().equals(name))
                    .map(p -> p.lastRun()).filter(r -> r != null && r.started().equals(run.started())).findFirst();
            if (now.isEmpty()) {
                System.out.println("A newer run of " + name + " began; see backup:policies");
                return null;
            }
            for (DomainOutcome o : now.get().outcomes()) {
                if (o.result().isFinal() && printed.add(o.domain())) {
                    System.out.println(Outcomes.outcome(o));
                }
            }
            if (now.get().over()) {
                System.out.println("Run ended " + Outcomes.time(now.get().ended()));
                long failed = now.get().outcomes().stream().filter(o -> o.result() == DomainOutcome.Result.FAILED).count();
                if (failed > 0) {
                    throw new IllegalStateException(failed + " of " + now.get().outcomes().size() + " domains failed");
                }
                return null;
            }
            Thread.sleep(1000);
        }
    }
}
