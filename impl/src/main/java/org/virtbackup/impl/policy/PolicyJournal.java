package org.virtbackup.impl.policy;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.impl.config.Paths;

/**
 * What a policy must remember across restarts, in {@code NAME.state} of the policy directory
 * (0600, replaced whole): when it was first seen (a schedule's runs before that are not missed
 * ones), its runs still open and its last ended one, with each domain's outcome as it changes (a
 * run still open at start was cut short, and is finished), and when each backup was last verified.
 */
public final class PolicyJournal {

    private final Path file;
    private final String policyName;
    private final Instant created;
    /** Runs still open, by start: each is finished at the next start if the service stops first. */
    private final Map<Instant, PolicyRun> open = new TreeMap<>();
    private PolicyRun lastEnded;
    private final Map<UUID, Instant> verified = new HashMap<>();
    private boolean closed;

    private PolicyJournal(Path file, String policy, Instant created) {
        this.file = file;
        this.policyName = policy;
        this.created = created;
    }

    /** The journal of a policy, read if there is one, else begun (now is its creation). */
    public static PolicyJournal open(Path directory, String policy, Instant now) {
        Path file = Paths.privateDirectory(directory).resolve(policy + ".state");
        try {
            if (!Files.exists(file)) {
                PolicyJournal fresh = new PolicyJournal(file, policy, now);
                fresh.save();
                return fresh;
            }
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            PolicyJournal j = new PolicyJournal(file, policy, Instant.ofEpochMilli(Long.parseLong(p.getProperty("created"))));
            for (int r = 0; p.getProperty("run." + r + ".started") != null; r++) {
                PolicyRun run = readRun(policy, p, "run." + r + ".");
                if (run.over()) {
                    j.lastEnded = run;
                } else {
                    j.open.put(run.started(), run);
                }
            }
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith("verified.")) {
                    j.verified.put(UUID.fromString(key.substring(9)), Instant.ofEpochMilli(Long.parseLong(p.getProperty(key))));
                }
            }
            return j;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state of policy " + policy + " (" + file + ")", e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the state of policy " + policy + " (" + file + ") is damaged: " + e
                    + "; remove the file to start the policy afresh (a missed run is then not caught up)", e);
        }
    }

    public Instant created() {
        return created;
    }

    /** The newest run, open or ended. */
    public synchronized Optional<PolicyRun> lastRun() {
        PolicyRun newest = lastEnded;
        for (PolicyRun r : open.values()) {
            if (newest == null || r.started().isAfter(newest.started())) {
                newest = r;
            }
        }
        return Optional.ofNullable(newest);
    }

    /** A start time (to the millisecond, as kept) that no run of the policy has: it names the run. */
    public synchronized Instant newStart(Instant now) {
        Instant t = now.truncatedTo(ChronoUnit.MILLIS);
        while (open.containsKey(t) || lastEnded != null && !lastEnded.started().isBefore(t)) {
            t = t.plusMillis(1);
        }
        open.put(t, new PolicyRun(policyName, t, null, "starting", List.of())); // taken, until recorded
        return t;
    }

    /** The runs not ended, oldest first. */
    public synchronized List<PolicyRun> openRuns() {
        return List.copyOf(open.values());
    }

    /** Records a run's state now; an ended run replaces the last ended one if it is newer. */
    public synchronized void record(PolicyRun run) {
        if (closed) {
            return;
        }
        PolicyRun before = open.get(run.started());
        PolicyRun lastBefore = lastEnded;
        if (run.over()) {
            open.remove(run.started());
            if (lastEnded == null || !run.started().isBefore(lastEnded.started())) {
                lastEnded = run;
            }
        } else {
            open.put(run.started(), run);
        }
        try {
            save();
        } catch (RuntimeException e) {
            // What is shown is what is on disk: a run whose start could not be written does not seem to run.
            if (before == null) {
                open.remove(run.started());
            } else {
                open.put(run.started(), before);
            }
            lastEnded = lastBefore;
            throw e;
        }
    }

    /** Forgets a run {@link #newStart} took that was never recorded. */
    public synchronized void abandon(Instant started) {
        PolicyRun run = open.get(started);
        if (run != null && run.trigger().equals("starting")) {
            open.remove(started);
        }
    }

    /** Whether the engine that held it has stopped. */
    public synchronized boolean closed() {
        return closed;
    }

    /**
     * Writes nothing more: the engine that held it stops, and one that starts after it reads
     * the file afresh. A thread of the old engine still ending cannot overwrite the new one's state.
     */
    public synchronized void close() {
        closed = true;
    }

    public synchronized Optional<Instant> verifiedAt(UUID backup) {
        return Optional.ofNullable(verified.get(backup));
    }

    public synchronized void verified(UUID backup, Instant when) {
        if (!closed) {
            verified.put(backup, when);
            save();
        }
    }

    /** Forgets the verifications of backups that are gone. */
    public synchronized void keepVerified(Set<UUID> existing) {
        if (!closed && verified.keySet().retainAll(existing)) {
            save();
        }
    }

    private void save() {
        Properties p = new Properties();
        p.setProperty("created", Long.toString(created.toEpochMilli()));
        List<PolicyRun> runs = new ArrayList<>(open.values());
        if (lastEnded != null) {
            runs.add(lastEnded);
        }
        for (int r = 0; r < runs.size(); r++) {
            PolicyRun run = runs.get(r);
            String prefix = "run." + r + ".";
            p.setProperty(prefix + "started", Long.toString(run.started().toEpochMilli()));
            p.setProperty(prefix + "trigger", run.trigger());
            if (run.over()) {
                p.setProperty(prefix + "ended", Long.toString(run.ended().toEpochMilli()));
            }
            int i = 0;
            for (DomainOutcome o : run.outcomes()) {
                String k = prefix + "domain." + i++ + ".";
                p.setProperty(k + "name", o.domain());
                p.setProperty(k + "result", o.result().name());
                if (o.backup() != null) {
                    p.setProperty(k + "backup", o.backup().toString());
                }
                p.setProperty(k + "pruned", Integer.toString(o.pruned()));
                p.setProperty(k + "verified", Integer.toString(o.verified()));
                p.setProperty(k + "message", o.message());
            }
        }
        verified.forEach((uuid, t) -> p.setProperty("verified." + uuid, Long.toString(t.toEpochMilli())));
        StringWriter text = new StringWriter();
        try {
            p.store(text, "virt-backup policy state: do not edit while the service runs");
            Paths.writeDurably(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the state of a policy (" + file + ")", e);
        }
    }

    private static PolicyRun readRun(String policy, Properties p, String prefix) {
        String started = p.getProperty(prefix + "started");
        List<DomainOutcome> outcomes = new ArrayList<>();
        for (int i = 0; p.getProperty(prefix + "domain." + i + ".name") != null; i++) {
            String k = prefix + "domain." + i + ".";
            String backup = p.getProperty(k + "backup");
            outcomes.add(new DomainOutcome(p.getProperty(k + "name"), DomainOutcome.Result.valueOf(p.getProperty(k + "result")),
                    backup == null ? null : UUID.fromString(backup), Integer.parseInt(p.getProperty(k + "pruned")),
                    Integer.parseInt(p.getProperty(k + "verified")), p.getProperty(k + "message")));
        }
        String ended = p.getProperty(prefix + "ended");
        return new PolicyRun(policy, Instant.ofEpochMilli(Long.parseLong(started)),
                ended == null ? null : Instant.ofEpochMilli(Long.parseLong(ended)), p.getProperty(prefix + "trigger"), outcomes);
    }
}
