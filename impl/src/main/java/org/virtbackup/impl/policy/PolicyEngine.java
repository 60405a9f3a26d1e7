package org.virtbackup.impl.policy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.apache.karaf.scheduler.Scheduler;
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
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PolicyStatus;
import org.virtbackup.api.policy.PruneDecision;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;

/**
 * Runs the configured policies: schedules each with Karaf's scheduler, starts runs on demand,
 * finishes the runs a stop cut short and catches up a missed one at start, and prunes by a
 * policy's retention. A client of {@link BackupService} like any other, acting as the policy
 * ({@link PolicySubject}). Of several configurations with one name, the first usable one runs
 * ({@link PolicyRegistry}).
 */
@Component(service = PolicyService.class, immediate = true, configurationPid = VirtBackupConfig.PID)
public final class PolicyEngine implements PolicyService {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);

    private final BackupService backups;
    private final PolicySchedules schedules;
    private final Path directory;
    private final Clock clock;
    private final Duration poll;
    private final ZoneId zone = ZoneId.systemDefault();
    private final RunEvents events = new RunEvents();
    private final DomainClaims claims = new DomainClaims();
    private final PolicyRegistry registry;
    private final Map<String, PolicyJournal> journals = new ConcurrentHashMap<>();
    private final Map<String, Semaphore> slots = new ConcurrentHashMap<>();
    private final Map<String, List<PolicyRunner>> running = new ConcurrentHashMap<>();
    /** Names taken up (runs finished, a missed one caught up) since this engine started. */
    private final Set<String> takenUp = ConcurrentHashMap.newKeySet();
    /** Why a policy's state could not be opened, by policy. */
    private final Map<String, String> unopened = new ConcurrentHashMap<>();
    private volatile boolean stopped;
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
        this.schedules = new PolicySchedules(scheduler);
        this.registry = new PolicyRegistry(this::activate, schedules::unschedule);
        this.directory = directory;
        this.clock = clock;
        this.poll = poll;
    }

    @Deactivate
    public void deactivate() {
        synchronized (registry) { // no configuration change in between: whatever comes after sees stopped
            stopped = true; // SCR unbinds the configurations after this: one taking over a name must not be scheduled
            registry.running().forEach(p -> schedules.unschedule(p.name()));
        }
        runs.shutdownNow(); // runs in flight stay open in their journals, finished at the next start
        try {
            if (!runs.awaitTermination(PolicyRunner.STOP_WAIT.toSeconds() + 5, TimeUnit.SECONDS)) {
                LOG.warn("Policy runs still going {} s after the stop", PolicyRunner.STOP_WAIT.toSeconds() + 5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        journals.values().forEach(PolicyJournal::close); // a thread still ending cannot overwrite the next engine's state
    }

    /** The registry's lock orders the configurations' changes, their activation and unscheduling included. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, updated = "updatedPolicy")
    void bindPolicy(PolicyConfiguration configuration) {
        registry.bind(configuration);
    }

    /** An edited configuration: the same policy with new values is swapped in place, never gone meanwhile. */
    void updatedPolicy(PolicyConfiguration configuration) {
        registry.update(configuration);
    }

    void unbindPolicy(PolicyConfiguration configuration) {
        registry.unbind(configuration);
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

    private void activate(Policy policy) {
        if (stopped) {
            return;
        }
        PolicyJournal journal;
        try {
            journal = journals.computeIfAbsent(policy.name(), n -> PolicyJournal.open(directory, n, clock.instant()));
        } catch (RuntimeException e) {
            LOG.error("Policy {} does not run: {}", policy.name(), e.getMessage());
            unopened.put(policy.name(), e.getMessage());
            return; // listed with the problem; run() refuses it
        }
        // A new limit applies once no run of the policy holds the old one's permits.
        Semaphore held = slots.get(policy.name());
        if (held == null || runners(policy.name()).isEmpty()) {
            slots.put(policy.name(), new Semaphore(policy.maxConcurrent()));
        }
        unopened.remove(policy.name());
        policy.cron().ifPresent(cron -> schedules.schedule(policy.name(), cron, clock.instant(), () -> fire(policy, journal)));
        if (takenUp.add(policy.name())) { // once per engine, even if it fails: never a run resumed twice
            takeUp(policy, journal);
        }
        LOG.info("Policy {} ready: domains {}, schedule {}", policy.name(), policy.domains(),
                policy.cron().map(CronSchedule::expression).orElse("none (on demand)"));
    }

    /**
     * At the policy's first appearance in this engine: each run a stop cut short is finished, and
     * if the schedule fired since the newest run began (or since the policy was first seen) while
     * the service was down, one run catches up, when the policy says so.
     */
    private void takeUp(Policy policy, PolicyJournal journal) {
        try {
            for (PolicyRun cut : journal.openRuns()) {
                LOG.info("Policy {}: the run of {} was cut short; finishing it", policy.name(), cut.started());
                launch(policy, journal, r -> r.resume(cut));
            }
            Instant since = journal.lastRun().map(PolicyRun::started).orElse(journal.created());
            if (policy.catchUp() && policy.cron().get().firedBetween(since, clock.instant())) {
                LOG.info("Policy {}: a run was missed since {}; catching up once", policy.name(), since);
                start(policy, journal, "catch-up");
            }
        } catch (RuntimeException e) {
            LOG.error("Policy {}: could not take up its runs at start ({}); they are taken up at the next start of the "
                    + "service, or run it now with backup:policy-run", policy.name(), e.getMessage(), e);
        }
    }

    /** A firing of the schedule: nothing escapes into the scheduler's thread. */
    private void fire(Policy policy, PolicyJournal journal) {
        try {
            start(policy, journal, "schedule");
        } catch (RuntimeException e) {
            LOG.error("Policy {}: the scheduled run did not start: {}", policy.name(), e.getMessage(), e);
        }
    }

    private PolicyRun start(Policy policy, PolicyJournal journal, String trigger) {
        return launch(policy, journal, r -> r.begin(trigger));
    }

    private PolicyRun launch(Policy policy, PolicyJournal journal, Function<PolicyRunner, PolicyRun> first) {
        PolicyRunner runner = new PolicyRunner(policy, backups, journal, claims, slots.get(policy.name()),
                new Pruner(backups, zone), clock, poll);
        PolicyRun run = first.apply(runner);
        runners(policy.name()).add(runner);
        try {
            runs.execute(() -> {
                try {
                    runner.work(events::ended);
                } catch (RuntimeException e) {
                    LOG.error("Policy {}: the run of {} stopped: {}", policy.name(), run.started(), e.toString(), e);
                } finally {
                    runners(policy.name()).remove(runner);
                }
            });
        } catch (RuntimeException e) { // the engine stops meanwhile: the run stays open for the next start
            runners(policy.name()).remove(runner);
            runner.letGo();
            throw new BackupException(ErrorCode.INVALID_STATE, "policy " + policy.name() + ": the service is stopping");
        }
        events.started(run);
        LOG.info("Policy {}: run started ({}), domains {}", policy.name(), run.trigger(),
                run.outcomes().stream().map(o -> o.domain()).toList());
        return run;
    }

    private List<PolicyRunner> runners(String policy) {
        return running.computeIfAbsent(policy, p -> new CopyOnWriteArrayList<>());
    }

    @Override
    public List<PolicyStatus> policies() {
        Instant now = clock.instant();
        List<PolicyStatus> out = new ArrayList<>();
        for (PolicyDefinition d : registry.definitions()) {
            boolean runs = registry.runs(d);
            Optional<Policy> p = d.policy();
            String problem = !d.problem().isEmpty() ? d.problem() : !runs
                    ? "another configuration is named " + d.name() + ": only the first one runs"
                    : unopened.getOrDefault(d.name(), schedules.refusal(d.name()).orElse(""));
            Optional<PolicyRun> last = !runs ? Optional.empty() : runners(d.name()).stream().map(PolicyRunner::snapshot)
                    .max(Comparator.comparing(PolicyRun::started))
                    .or(() -> Optional.ofNullable(journals.get(d.name())).flatMap(PolicyJournal::lastRun));
            out.add(new PolicyStatus(d.name(), d.domains(), p.flatMap(Policy::cron).map(CronSchedule::expression).orElse(""),
                    p.flatMap(Policy::cron).flatMap(c -> c.next(now)).orElse(null), problem, last.orElse(null)));
        }
        out.sort(Comparator.comparing(PolicyStatus::name));
        return out;
    }

    @Override
    public PolicyRun run(String name) {
        Policy policy = registry.usable(name);
        PolicyJournal journal = journals.get(name);
        if (journal == null) {
            throw new BackupException(ErrorCode.INVALID_STATE, "policy " + name + " does not run: "
                    + unopened.getOrDefault(name, "its state could not be read"));
        }
        return start(policy, journal, "demand");
    }

    @Override
    public List<PruneDecision> plan(String policyOrDomain) {
        return prunes().plan(policyOrDomain);
    }

    @Override
    public List<PruneDecision> prune(String policyOrDomain) {
        return prunes().prune(policyOrDomain);
    }

    private PolicyPrunes prunes() {
        return new PolicyPrunes(backups, zone, registry::usable, registry::isPolicy, registry::running);
    }
}
