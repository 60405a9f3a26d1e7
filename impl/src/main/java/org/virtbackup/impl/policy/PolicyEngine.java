package org.virtbackup.impl.policy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.karaf.scheduler.Scheduler;
import org.apache.karaf.scheduler.SchedulerError;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.EventAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PolicyStatus;
import org.virtbackup.api.policy.PruneDecision;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;

/**
 * Runs the configured policies: schedules each with Karaf's scheduler, starts runs on demand,
 * finishes a run cut short by a stop and catches up a missed one at start, and prunes by a
 * policy's retention. A client of {@link BackupService} like any other, acting as the policy
 * ({@link PolicySubject}).
 */
@Component(service = PolicyService.class, immediate = true, configurationPid = VirtBackupConfig.PID)
public final class PolicyEngine implements PolicyService {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);
    private static final String JOB_PREFIX = "virt-backup-policy-";

    private final BackupService backups;
    private final Scheduler scheduler;
    private final Path directory;
    private final Clock clock;
    private final Duration poll;
    private final ZoneId zone = ZoneId.systemDefault();
    private final RunEvents events = new RunEvents();
    private final BusyDomains busy = new BusyDomains();
    private final Set<PolicyDefinition> definitions = ConcurrentHashMap.newKeySet();
    private final Map<String, PolicyJournal> journals = new ConcurrentHashMap<>();
    private final Map<String, List<PolicyRunner>> running = new ConcurrentHashMap<>();
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    /** Why the scheduler did not take a policy's schedule, by policy. */
    private final Map<String, String> unscheduled = new ConcurrentHashMap<>();
    private final ExecutorService runs = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "virt-backup-policy-run");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public PolicyEngine(@Reference BackupService backups, @Reference Scheduler scheduler, VirtBackupConfig config) {
        this(backups, scheduler, Paths.resolve(config.policy_directory()), Clock.systemUTC(), Duration.ofSeconds(1));
    }

    PolicyEngine(BackupService backups, Scheduler scheduler, Path directory, Clock clock, Duration poll) {
        this.backups = backups;
        this.scheduler = scheduler;
        this.directory = directory;
        this.clock = clock;
        this.poll = poll;
    }

    @Deactivate
    public void deactivate() {
        definitions.stream().filter(d -> d.policy().isPresent()).forEach(d -> scheduler.unschedule(JOB_PREFIX + d.name()));
        runs.shutdownNow(); // runs in flight stay open in their journals, finished at the next start
        try {
            if (!runs.awaitTermination(PolicyRunner.STOP_WAIT.toSeconds() + 5, TimeUnit.SECONDS)) {
                LOG.warn("Policy runs still going {} s after the stop", PolicyRunner.STOP_WAIT.toSeconds() + 5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindPolicy(PolicyDefinition definition) {
        if (definition.policy().isEmpty()) {
            LOG.error("Policy {} is not usable: {}", definition.name(), definition.problem());
            definitions.add(definition);
            return;
        }
        Policy policy = definition.policy().get();
        if (definitions.stream().anyMatch(d -> d.name().equals(policy.name()))) {
            LOG.error("Two policy configurations are named {}: the second is ignored", policy.name());
            return;
        }
        PolicyJournal journal = journals.computeIfAbsent(policy.name(), n -> PolicyJournal.open(directory, n, clock.instant()));
        definitions.add(definition);
        policy.cron().ifPresent(cron -> schedule(policy, cron, journal));
        if (seen.add(policy.name()) && runners(policy.name()).isEmpty()) {
            takeUp(policy, journal);
        }
        LOG.info("Policy {} ready: domains {}, schedule {}", policy.name(), policy.domains(),
                policy.cron().map(CronSchedule::expression).orElse("none (on demand)"));
    }

    private void schedule(Policy policy, CronSchedule cron, PolicyJournal journal) {
        try {
            scheduler.schedule((Runnable) () -> start(policy, journal, "schedule"),
                    scheduler.EXPR(cron.expression()).name(JOB_PREFIX + policy.name()).canRunConcurrently(true));
            unscheduled.remove(policy.name());
        } catch (SchedulerError | RuntimeException e) {
            LOG.error("Policy {}: Karaf's scheduler refused its schedule '{}': {}", policy.name(), cron, e.getMessage());
            unscheduled.put(policy.name(), "Karaf's scheduler refused the schedule: " + e.getMessage());
        }
    }

    void unbindPolicy(PolicyDefinition definition) {
        if (definitions.remove(definition) && definition.policy().isPresent()) {
            scheduler.unschedule(JOB_PREFIX + definition.name());
        }
    }

    /** Optional: without Event Admin no events are posted. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindEventAdmin(EventAdmin admin) {
        events.use(admin);
    }

    void unbindEventAdmin(EventAdmin admin) {
        events.drop(admin);
    }

    /** At the policy's first appearance: a run cut short is finished, else a missed one run once if it says so. */
    private void takeUp(Policy policy, PolicyJournal journal) {
        Optional<PolicyRun> last = journal.lastRun();
        Instant now = clock.instant();
        if (last.isPresent() && !last.get().over()) {
            LOG.info("Policy {}: the run of {} was cut short; finishing it", policy.name(), last.get().started());
            launch(policy, journal, r -> r.resume(last.get()));
        } else if (policy.catchUp()) {
            Instant since = last.map(PolicyRun::started).orElse(journal.created());
            if (policy.cron().get().firedBetween(since, now)) {
                LOG.info("Policy {}: a run was missed since {}; catching up once", policy.name(), since);
                start(policy, journal, "catch-up");
            }
        }
    }

    private PolicyRun start(Policy policy, PolicyJournal journal, String trigger) {
        return launch(policy, journal, r -> r.begin(trigger));
    }

    private PolicyRun launch(Policy policy, PolicyJournal journal, Function<PolicyRunner, PolicyRun> first) {
        PolicyRunner runner = new PolicyRunner(policy, backups, journal, busy, new Pruner(backups, zone), clock, poll);
        PolicyRun run = first.apply(runner);
        runners(policy.name()).add(runner);
        events.started(run);
        LOG.info("Policy {}: run started ({}), domains {}", policy.name(), run.trigger(),
                run.outcomes().stream().map(o -> o.domain()).toList());
        runs.execute(() -> {
            try {
                runner.work(events::ended);
            } catch (RuntimeException e) {
                LOG.error("Policy {}: the run of {} stopped: {}", policy.name(), run.started(), e.toString(), e);
            } finally {
                runners(policy.name()).remove(runner);
            }
        });
        return run;
    }

    private List<PolicyRunner> runners(String policy) {
        return running.computeIfAbsent(policy, p -> new CopyOnWriteArrayList<>());
    }

    @Override
    public List<PolicyStatus> policies() {
        Instant now = clock.instant();
        List<PolicyStatus> out = new ArrayList<>();
        definitions.forEach(d -> {
            Optional<Policy> p = d.policy();
            Optional<PolicyRun> last = p.isEmpty() ? Optional.empty() : runners(d.name()).stream()
                    .map(PolicyRunner::snapshot).max(Comparator.comparing(PolicyRun::started))
                    .or(() -> journals.get(d.name()).lastRun());
            out.add(new PolicyStatus(d.name(), d.domains(), p.flatMap(Policy::cron).map(CronSchedule::expression).orElse(""),
                    p.flatMap(Policy::cron).flatMap(c -> c.next(now)).orElse(null),
                    d.problem().isEmpty() ? unscheduled.getOrDefault(d.name(), "") : d.problem(), last.orElse(null)));
        });
        out.sort(Comparator.comparing(PolicyStatus::name));
        return out;
    }

    @Override
    public PolicyRun run(String name) {
        PolicyDefinition d = definition(name);
        return start(d.policy().get(), journals.get(d.name()), "demand");
    }

    @Override
    public List<PruneDecision> plan(String policyOrDomain) {
        List<PruneDecision> out = new ArrayList<>();
        PolicySubject.run(PolicySubject.of("prune"), () -> scope(policyOrDomain).forEach((domain, policy) ->
                out.addAll(new Pruner(backups, zone).plan(domain, policy.retention()))));
        return out;
    }

    @Override
    public List<PruneDecision> prune(String policyOrDomain) {
        List<PruneDecision> out = new ArrayList<>();
        PolicySubject.run(PolicySubject.of("prune"), () -> {
            Pruner pruner = new Pruner(backups, zone);
            Set<String> repositories = new LinkedHashSet<>();
            scope(policyOrDomain).forEach((domain, policy) -> {
                List<PruneDecision> plan = pruner.plan(domain, policy.retention());
                repositories.addAll(pruner.apply(plan));
                out.addAll(plan);
            });
            repositories.forEach(backups::collect);
        });
        return out;
    }

    /** The domains a prune covers, each with the policy whose retention applies. */
    private Map<String, Policy> scope(String policyOrDomain) {
        Map<String, Policy> out = new TreeMap<>();
        Optional<PolicyDefinition> named = definitions.stream().filter(d -> d.name().equals(policyOrDomain)).findFirst();
        List<String> domains = backups.domains().stream().map(DomainRef::name).toList();
        if (named.isPresent()) {
            Policy p = usable(named.get());
            domains.stream().filter(p::covers).forEach(d -> out.put(d, p));
            return out;
        }
        List<Policy> covering = definitions.stream().flatMap(d -> d.policy().stream())
                .filter(p -> p.covers(policyOrDomain)).toList();
        if (!domains.contains(policyOrDomain)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no policy or domain is named '" + policyOrDomain + "'");
        }
        if (covering.size() != 1) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, covering.isEmpty()
                    ? "no policy covers domain " + policyOrDomain
                    : "domain " + policyOrDomain + " is covered by policies " + covering.stream().map(Policy::name)
                            .sorted().toList() + ": name the one whose retention applies");
        }
        out.put(policyOrDomain, covering.get(0));
        return out;
    }

    private PolicyDefinition definition(String name) {
        PolicyDefinition d = definitions.stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new BackupException(ErrorCode.INVALID_ARGUMENT, "no policy is named '" + name + "'"
                        + (definitions.isEmpty() ? " (none is configured: see etc/org.virtbackup.policy-*.cfg)" : "")));
        usable(d);
        return d;
    }

    private static Policy usable(PolicyDefinition d) {
        return d.policy().orElseThrow(() -> new BackupException(ErrorCode.INVALID_ARGUMENT, "policy " + d.name()
                + " is not usable: " + d.problem()));
    }
}
