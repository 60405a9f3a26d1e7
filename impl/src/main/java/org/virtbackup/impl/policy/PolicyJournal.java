package org.virtbackup.impl.policy;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.impl.config.Paths;

/**
 * What a policy must remember across restarts, in {@code NAME.state} of the policy directory
 * (0600, replaced whole): when it was first seen (a schedule's runs before that are not missed
 * ones), its latest run with each domain's outcome as it ends (a run still open at start was cut
 * short, and is finished), and when each backup was last verified.
 */
public final class PolicyJournal {

    private final Path file;
    private final Instant created;
    private PolicyRun last;
    private final Map<UUID, Instant> verified = new HashMap<>();

    private PolicyJournal(Path file, Instant created) {
        this.file = file;
        this.created = created;
    }

    /** The journal of a policy, read if there is one, else begun (now is its creation). */
    public static PolicyJournal open(Path directory, String policy, Instant now) {
        Path file = Paths.privateDirectory(directory).resolve(policy + ".state");
        try {
            if (!Files.exists(file)) {
                PolicyJournal fresh = new PolicyJournal(file, now);
                fresh.save();
                return fresh;
            }
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            PolicyJournal j = new PolicyJournal(file, Instant.ofEpochMilli(Long.parseLong(p.getProperty("created"))));
            j.last = readRun(policy, p);
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

    public synchronized Optional<PolicyRun> lastRun() {
        return Optional.ofNullable(last);
    }

    /** Records the run's state now: the latest run replaces the one before. */
    public synchronized void record(PolicyRun run) {
        if (last != null && run.started().isBefore(last.started())) {
            return; // an older run, overtaken by a newer one, is not the one to resume
        }
        last = run;
        save();
    }

    public synchronized Optional<Instant> verifiedAt(UUID backup) {
        return Optional.ofNullable(verified.get(backup));
    }

    public synchronized void verified(UUID backup, Instant when) {
        verified.put(backup, when);
        save();
    }

    /** Forgets the verifications of backups that are gone. */
    public synchronized void keepVerified(Set<UUID> existing) {
        if (verified.keySet().retainAll(existing)) {
            save();
        }
    }

    private void save() {
        Properties p = new Properties();
        p.setProperty("created", Long.toString(created.toEpochMilli()));
        if (last != null) {
            p.setProperty("run.started", Long.toString(last.started().toEpochMilli()));
            p.setProperty("run.trigger", last.trigger());
            if (last.over()) {
                p.setProperty("run.ended", Long.toString(last.ended().toEpochMilli()));
            }
            int i = 0;
            for (DomainOutcome o : last.outcomes()) {
                String k = "run.domain." + i++ + ".";
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

    private static PolicyRun readRun(String policy, Properties p) {
        String started = p.getProperty("run.started");
        if (started == null) {
            return null;
        }
        List<DomainOutcome> outcomes = new ArrayList<>();
        for (int i = 0; p.getProperty("run.domain." + i + ".name") != null; i++) {
            String k = "run.domain." + i + ".";
            String backup = p.getProperty(k + "backup");
            outcomes.add(new DomainOutcome(p.getProperty(k + "name"), DomainOutcome.Result.valueOf(p.getProperty(k + "result")),
                    backup == null ? null : UUID.fromString(backup), Integer.parseInt(p.getProperty(k + "pruned")),
                    Integer.parseInt(p.getProperty(k + "verified")), p.getProperty(k + "message")));
        }
        String ended = p.getProperty("run.ended");
        return new PolicyRun(policy, Instant.ofEpochMilli(Long.parseLong(started)),
                ended == null ? null : Instant.ofEpochMilli(Long.parseLong(ended)), p.getProperty("run.trigger"), outcomes);
    }
}
