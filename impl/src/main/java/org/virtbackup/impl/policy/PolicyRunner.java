package org.virtbackup.impl.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import javax.security.auth.Subject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.DomainOutcome.Result;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.api.policy.PruneDecision;

/**
 * One run of a policy: each domain is backed up (at most {@code max.concurrent} of the policy's
 * at once, whatever run they belong to; the others wait), then pruned, then its due backups
 * verified; the repositories pruned are collected at the end. A domain that fails does not stop
 * the others. Every change of a domain's state goes to the journal first, the new backup's UUID
 * before the backup starts: a run cut short by a stop is finished at the next start
 * ({@link #resume}) without a second backup.
 */
final class PolicyRunner {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyRunner.class);
    /** How long a stop waits for a run's domains to let go of the service. */
    static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private final Policy policy;
    private final BackupService backups;
    private final PolicyJournal journal;
    private final DomainClaims claims;
    private final Semaphore slots;
    private final Pruner pruner;
    private final Clock clock;
    private final Subject subject;
    private final DueVerification verification;
    private final RunBackup backup;
    private final List<DomainOutcome> outcomes = new ArrayList<>();
    private final Set<String> toCollect = new LinkedHashSet<>();
    private PolicyRun run;
    private String id;

    PolicyRunner(Policy policy, BackupService backups, PolicyJournal journal, DomainClaims claims, Semaphore slots,
            Pruner pruner, Clock clock, Duration poll) {
        this.policy = policy;
        this.backups = backups;
        this.journal = journal;
        this.claims = claims;
        this.slots = slots;
        this.pruner = pruner;
        this.clock = clock;
        this.subject = PolicySubject.of(policy.name());
        this.verification = new DueVerification(backups, journal, policy.verifyAfterDays(), clock);
        this.backup = new RunBackup(policy, backups, clock, poll, journal::closed);
    }

    /** A new run over the policy's domains as libvirt knows them now, recorded, not yet going. */
    synchronized PolicyRun begin(String trigger) {
        List<String> domains = new ArrayList<>();
        PolicySubject.run(subject, () -> backups.domains().stream().map(DomainRef::name)
                .filter(policy::covers).sorted().forEach(domains::add));
        domains.forEach(d -> outcomes.add(new DomainOutcome(d, Result.QUEUED, null, 0, 0, "")));
        Instant started = journal.newStart(clock.instant());
        try {
            return open(started, trigger);
        } catch (RuntimeException e) {
            journal.abandon(started); // never on disk: no run to show or resume
            throw e;
        }
    }

    /** A run cut short, taken up again: its domains not yet done are. */
    synchronized PolicyRun resume(PolicyRun cut) {
        outcomes.addAll(cut.outcomes());
        if (policy.target() != null && policy.target().type().equals(BackupTarget.REPOSITORY)) {
            toCollect.add(policy.target().value()); // what it pruned before the stop is not known: collect anyway
        }
        return open(cut.started(), "resumed");
    }

    /** Records the run and claims its unfinished domains; those another run holds are skipped now. */
    private PolicyRun open(Instant started, String trigger) {
        run = new PolicyRun(policy.name(), started, null, trigger, outcomes);
        try {
            return claimAndRecord(started, trigger);
        } catch (RuntimeException e) {
            letGo();
            throw e;
        }
    }

    /** Releases the run's claims: it will not work (the service stops, or it could not be recorded). */
    synchronized void letGo() {
        if (id != null) {
            outcomes.forEach(o -> claims.release(o.domain(), id));
        }
    }

    private PolicyRun claimAndRecord(Instant started, String trigger) {
        id = policy.name() + " of " + run.started();
        for (int i = 0; i < outcomes.size(); i++) {
            DomainOutcome o = outcomes.get(i);
            if (!o.result().isFinal()) {
                Optional<String> holder = claims.claim(o.domain(), id);
                if (holder.isPresent()) {
                    LOG.warn("Policy {}: domain {} skipped, the run {} still has it", policy.name(), o.domain(), holder.get());
                    outcomes.set(i, new DomainOutcome(o.domain(), Result.SKIPPED, null, 0, 0,
                            "busy: still queued or being backed up by the run " + holder.get()));
                }
            }
        }
        run = new PolicyRun(policy.name(), started, null, trigger, outcomes);
        journal.record(run);
        return run;
    }

    synchronized PolicyRun snapshot() {
        return run;
    }

    /** Works the run through, in this thread and a pool of its own; returns when every domain is done. */
    PolicyRun work(Consumer<PolicyRun> ended) {
        ExecutorService pool = Executors.newFixedThreadPool(policy.maxConcurrent(), r -> {
            Thread t = new Thread(r, "virt-backup-policy-" + policy.name());
            t.setDaemon(true);
            return t;
        });
        List<DomainOutcome> start = snapshot().outcomes();
        try {
            for (int i = 0; i < start.size(); i++) {
                if (!start.get(i).result().isFinal()) {
                    int index = i;
                    pool.execute(() -> PolicySubject.run(subject, () -> domain(index)));
                }
            }
            pool.shutdown();
            while (!pool.awaitTermination(1, TimeUnit.HOURS)) {
                LOG.info("Policy {}: run of {} still going", policy.name(), snapshot().started());
            }
            PolicySubject.run(subject, this::collect);
        } catch (InterruptedException e) {
            // The service stops: the journal keeps the run open for the next start. Its domains'
            // threads stop before the service they call goes, as far as they can.
            pool.shutdownNow();
            try {
                pool.awaitTermination(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException again) {
                // stopping anyway
            }
            letGo();
            Thread.currentThread().interrupt();
            return snapshot();
        }
        PolicyRun done;
        synchronized (this) {
            run = new PolicyRun(policy.name(), run.started(), clock.instant(), run.trigger(), outcomes);
            journal.record(run);
            done = run;
        }
        ended.accept(done);
        return done;
    }

    private void domain(int index) {
        DomainOutcome o = outcome(index);
        String name = o.domain();
        boolean slot = false;
        try {
            slots.acquire();
            slot = true;
            DomainRef domain = backups.domains().stream().filter(d -> d.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("domain " + name + " is not defined any more"));
            Optional<Backup> running = backups.list(domain.uuid().toString(), Set.of()).stream()
                    .filter(b -> b.state() == JobState.RUNNING && !b.uuid().equals(o.backup())).findFirst();
            if (running.isPresent()) {
                LOG.warn("Policy {}: domain {} skipped, backup {} is still running", policy.name(), name, running.get().uuid());
                set(index, Result.SKIPPED, null, 0, 0, "busy: backup " + running.get().uuid() + " is still running");
                return;
            }
            UUID uuid = backup.of(domain, o.backup(), made -> set(index, Result.RUNNING, made, 0, 0, ""));
            set(index, Result.RUNNING, uuid, 0, 0, "");
            int pruned = prune(domain);
            set(index, Result.RUNNING, uuid, pruned, 0, "");
            String damaged = verification.verify(domain, n -> set(index, Result.RUNNING, uuid, pruned, n, ""));
            set(index, damaged.isEmpty() ? Result.DONE : Result.FAILED, uuid, pruned, outcome(index).verified(), damaged);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stopping: the outcome stays open in the journal
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                return; // the service stops under the call: the outcome stays open, for the next start
            }
            DomainOutcome now = outcome(index);
            LOG.warn("Policy {}: domain {} failed: {}", policy.name(), name, e.getMessage());
            set(index, Result.FAILED, now.backup(), now.pruned(), now.verified(), String.valueOf(e.getMessage()));
        } finally {
            if (slot) {
                slots.release();
            }
            claims.release(name, id);
        }
    }

    private int prune(DomainRef domain) throws InterruptedException {
        if (!policy.retention().any()) {
            return 0;
        }
        List<PruneDecision> plan = pruner.plan(domain, policy.retention(), policy.name());
        Pruner.Applied applied = pruner.apply(plan);
        synchronized (this) {
            toCollect.addAll(applied.repositories());
        }
        if (applied.failure() != null) {
            throw applied.failure();
        }
        return applied.removed();
    }

    /** Collects each repository the run pruned, once; a failure is the run's news, logged, not a domain's. */
    private void collect() {
        List<String> urls;
        synchronized (this) {
            urls = List.copyOf(toCollect);
        }
        for (String url : urls) {
            try {
                backups.collect(url);
            } catch (RuntimeException e) {
                LOG.warn("Policy {}: the collection of {} after the prune failed ({}); the next prune or backup:gc "
                        + "takes the chunks", policy.name(), url, e.getMessage());
            }
        }
    }

    private synchronized DomainOutcome outcome(int index) {
        return outcomes.get(index);
    }

    private synchronized void set(int index, Result result, UUID backup, int pruned, int verified, String message) {
        outcomes.set(index, new DomainOutcome(outcomes.get(index).domain(), result, backup, pruned, verified, message));
        run = new PolicyRun(policy.name(), run.started(), null, run.trigger(), outcomes);
        journal.record(run);
    }
}
