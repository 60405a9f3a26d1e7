package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CollectResult;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.DomainOutcome.Result;
import org.virtbackup.api.policy.PolicyEvents;
import org.virtbackup.api.policy.PolicyRun;
import org.virtbackup.api.policy.PolicyService;
import org.virtbackup.api.policy.PolicyStatus;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Twin;

/**
 * Policies in the distribution, configured as an operator does (a file
 * {@code etc/org.virtbackup.policy-NAME.cfg}), on real guests: backups appear on schedule, every
 * point a retention keeps reads as its disk at its moment after the prune (qcow2 chains merged,
 * repositories deleted and collected), a busy domain is skipped and a failing one reported while
 * the others are done, and a run cut short by a restart of the service is finished without a
 * second backup.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PolicyIT extends RepositoryTestSupport {

    private final List<Path> policyFiles = new ArrayList<>();

    @After
    public void removePolicies() throws Exception {
        for (Path f : policyFiles) {
            Files.deleteIfExists(f);
        }
        if (!policyFiles.isEmpty()) {
            waitUntil("the policies' configurations are gone", 30, () -> policies().policies().stream()
                    .noneMatch(p -> p.name().startsWith("it-")));
        }
        policyFiles.clear();
    }

    @Test
    public void aScheduledPolicyBacksUpOnScheduleAndEveryPointKeptAfterMergesReadsAsItsMoment() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-pol-chain", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            List<Write> writes = new ArrayList<>();
            writes.add(write(twin, 0x20, 0, 4 * MiB));
            policy("it-chain", "domains", guest.name(), "schedule", "*/10 * * * * ?", "keep.last", "3", "max.concurrent", "1");

            Map<UUID, Backup> seen = new LinkedHashMap<>();
            for (int i = 1; seen.size() < 5; i++) {
                Backup b = awaitNewBackup(backups, guest, seen.keySet(), 60);
                seen.put(b.uuid(), b);
                awaitQuiet(backups, guest, "it-chain", 60);
                // The next write lands between two runs: never while the schedule is about to fire.
                Instant next = status("it-chain").nextRun();
                if (next != null && Duration.between(Instant.now(), next).toMillis() < 3000) {
                    Thread.sleep(Duration.between(Instant.now(), next).toMillis() + 200);
                    continue; // a backup starts now: write after it
                }
                writes.add(write(twin, 0x20 + i, (4 + i) * MiB, MiB));  // new data
                writes.add(write(twin, 0x60 + i, (i % 4) * MiB, MiB / 2)); // over older data
            }
            Files.delete(policyFiles.remove(0));
            waitUntil("policy it-chain is gone", 30, () -> policies().policies().stream().noneMatch(p -> p.name().equals("it-chain")));
            // Its last run goes on without it, and prunes after its backup: three are left in the end.
            waitUntil("three backups left", 120, () -> completed(backups, guest).size() == 3
                    && backups.list(guest.name(), Set.of()).stream().noneMatch(b -> b.state() == JobState.RUNNING));
            Thread.sleep(3000);
            List<Backup> left = completed(backups, guest);
            assertEquals("keep.last=3 keeps three: " + left, 3, left.size());
            // The newest are kept: every backup seen and gone is older than every one left.
            List<Backup> byAge = left.stream().sorted(java.util.Comparator.comparing(Backup::creationTime)).toList();
            Set<UUID> kept = left.stream().map(Backup::uuid).collect(java.util.stream.Collectors.toSet());
            for (Backup gone : seen.values()) {
                if (!kept.contains(gone.uuid())) {
                    assertTrue("pruned " + gone.uuid() + " is older than the kept " + byAge,
                            gone.creationTime().isBefore(byAge.get(0).creationTime()));
                }
            }
            assertTrue("five were seen, so two at least were pruned: " + seen.keySet(),
                    seen.keySet().stream().filter(u -> !kept.contains(u)).count() >= 2);
            for (Backup b : left) {
                assertTrue("made by the policy: " + b.description(), b.description().equals("policy it-chain"));
                assertIdentical(image(b), expectedAt(writes, b));
            }
            assertTrue("the oldest kept point holds all its data now (merged): " + byAge.get(0).parent(),
                    byAge.get(0).parent() == null);
        }
    }

    @Test
    public void aRepositoryPolicyDeletesCollectsVerifiesAndItsDryRunSaysWhy() throws Exception {
        BackupService backups = backupService();
        String url = repository("it-pol-repo");
        try (Guest guest = Guest.start(workDir(), "it-pol-repo", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            policy("it-repo", "domains", guest.name(), "target", url, "keep.last", "2", "verify.after.days", "1");
            List<PolicyRun> runs = new ArrayList<>();
            Map<UUID, Path> expected = new LinkedHashMap<>();
            for (int i = 0; i < 3; i++) {
                // The same MiB each time: only the first backup names its first content.
                twin.write(0x31 + i, 8 * MiB, MiB);
                twin.write(0x41 + i, (16 + i) * MiB, MiB);
                Path moment = twin.snapshot();
                PolicyRun run = runAndWait("it-repo");
                DomainOutcome o = run.outcomes().get(0);
                assertEquals(o.toString(), Result.DONE, o.result());
                expected.put(o.backup(), moment);
                runs.add(run);
            }
            assertEquals(List.of(0, 0, 1), runs.stream().map(r -> r.outcomes().get(0).pruned()).toList());
            assertEquals("each run verifies what was not verified in the last day: the new backup",
                    List.of(1, 1, 1), runs.stream().map(r -> r.outcomes().get(0).verified()).toList());

            List<UUID> made = new ArrayList<>(expected.keySet());
            assertEquals(Optional.empty(), backups.lookup(made.get(0)));
            for (UUID kept : made.subList(1, 3)) {
                Backup b = backups.lookup(kept).orElseThrow();
                assertTrue(b.inRepository());
                assertEquals(url, b.disks().get(0).target());
                assertRestores(backups, b, scratchDir("it-pol-repo").resolve("vda.qcow2"), expected.get(kept), "qcow2");
            }
            List<CollectResult> again = backups.collect(url);
            assertEquals("the policy collected what the pruned backup alone named: " + again, 0, again.get(0).chunksRemoved());
            String target = backups.getDefaultTarget(guest.name()).orElseThrow();
            assertTrue("the policy's target became the domain's: " + target, target.contains(url));

            // Keeping one: the dry run says what the prune would do, and why, and changes nothing.
            policy("it-repo", "domains", guest.name(), "target", url, "keep.last", "1", "verify.after.days", "1");
            String[] dry = new String[1];
            waitUntil("the dry run sees keep.last=1", 30, () -> {
                dry[0] = executeCommand("backup:prune --dry-run it-repo");
                return dry[0].contains("1 kept, 1 would be removed");
            });
            assertTrue(dry[0], dry[0].contains("keep    " + made.get(2)) && dry[0].contains("keep-last"));
            assertTrue(dry[0], dry[0].contains("remove  " + made.get(1)) && dry[0].contains("no rule keeps it"));
            assertTrue(backups.lookup(made.get(1)).isPresent());
            // Another policy over the domain: a prune by the domain's name must be told which.
            policy("it-repo-one", "domains", guest.name(), "keep.last", "1");
            BackupException twoPolicies = assertThrowsBackup(() -> policies().plan(guest.name()));
            assertTrue(twoPolicies.getMessage(), twoPolicies.getMessage().contains("covered by policies [it-repo, it-repo-one]"));
            assertEquals("its own backups only: it made none", List.of(), policies().plan("it-repo-one"));
            List<String> offered = complete("backup:prune it-");
            assertTrue("prune completes policies and domains: " + offered, offered.contains("it-repo")
                    && offered.contains("it-repo-one") && offered.contains(guest.name()));

            String shown = executeCommand("backup:policies");
            assertTrue(shown, shown.contains("it-repo: domains " + guest.name()) && shown.contains("on demand only")
                    && shown.contains(guest.name() + ": done, backup " + made.get(2)));
        }
    }

    @Test
    public void aBusyDomainIsSkippedAFailingOneReportedAndTheOthersDone() throws Exception {
        BackupService backups = backupService();
        List<Event> events = new CopyOnWriteArrayList<>();
        Dictionary<String, Object> topics = new Hashtable<>(Map.of(EventConstants.EVENT_TOPIC, PolicyEvents.TOPIC_ALL));
        ServiceRegistration<EventHandler> handler = bundleContext.registerService(EventHandler.class, events::add, topics);
        Path broken = targetRoots().resolve("it-pol-broken-" + UUID.randomUUID());
        try (Guest busy = Guest.start(workDir(), "it-pol-mix-a", SIZE);
                Guest failing = Guest.start(workDir(), "it-pol-mix-b", SIZE);
                Guest fine = Guest.start(workDir(), "it-pol-mix-c", SIZE)) {
            Twin fineDisk = new Twin(fine, SIZE);
            fineDisk.write(0x71, 0, MiB);
            Path fineMoment = fineDisk.snapshot();
            Backup export = backups.startUnmanaged(busy.name(), (String) null, Set.of());
            Files.createDirectories(broken);
            backups.setDefaultTarget(failing.name(), BackupTarget.directory(broken.toString()), Set.of());
            Cmd.ok("rm", "-rf", broken.toString());
            Files.writeString(broken, "a file where the target directory was");
            policy("it-mix", "domains", "it-pol-mix-*");

            PolicyRun run = runAndWait("it-mix");
            Map<String, DomainOutcome> by = new HashMap<>();
            run.outcomes().forEach(o -> by.put(o.domain(), o));
            assertEquals(List.of(busy.name(), failing.name(), fine.name()), run.outcomes().stream().map(DomainOutcome::domain).toList());
            assertEquals(by.toString(), Result.SKIPPED, by.get(busy.name()).result());
            assertTrue(by.get(busy.name()).message(), by.get(busy.name()).message().contains("busy: backup " + export.uuid()));
            assertEquals(by.toString(), Result.FAILED, by.get(failing.name()).result());
            assertFalse(by.get(failing.name()).message().isEmpty());
            assertEquals(by.toString(), Result.DONE, by.get(fine.name()).result());
            assertIdentical(image(backups.lookup(by.get(fine.name()).backup()).orElseThrow()), fineMoment);

            backups.finishJob(export.uuid(), Set.of());
            PolicyRun second = runAndWait("it-mix");
            assertEquals(Result.DONE, second.outcomes().get(0).result());

            waitUntil("both runs' start and end events", 10, () -> events.size() >= 4);
            Event ended = events.stream().filter(e -> e.getTopic().equals(PolicyEvents.ENDED)).findFirst().orElseThrow();
            assertEquals("it-mix", ended.getProperty(PolicyEvents.POLICY));
            assertEquals("demand", ended.getProperty(PolicyEvents.TRIGGER));
            assertEquals(List.of(1, 1, 1), List.of(ended.getProperty(PolicyEvents.DONE), ended.getProperty(PolicyEvents.SKIPPED),
                    ended.getProperty(PolicyEvents.FAILED)));
            assertEquals(PolicyEvents.STARTED, events.get(0).getTopic());
        } finally {
            handler.unregister();
            Files.deleteIfExists(broken);
        }
    }

    @Test
    public void aRunCutShortByARestartOfTheServiceIsFinishedWithoutASecondBackup() throws Exception {
        try (Guest big = Guest.startWithData(workDir(), "it-pol-cut-a", 2048 * MiB, 1536 * MiB);
                Guest small = Guest.start(workDir(), "it-pol-cut-b", SIZE)) {
            Twin smallDisk = new Twin(small, SIZE);
            smallDisk.write(0x72, 0, MiB);
            Path smallMoment = smallDisk.snapshot();
            policy("it-cut", "domains", "it-pol-cut-*", "max.concurrent", "1");
            PolicyRun run = policies().run("it-cut");
            // Running and watched (elapsed time counts): its start is over. A backup merely recorded as
            // running is still starting, and a stop then undoes its start, rightly: there is nothing to take over.
            waitUntil("the first domain's backup runs", 60, () -> Optional.ofNullable(status("it-cut").lastRun())
                    .map(r -> r.outcomes().get(0).backup()).flatMap(u -> backupService().lookup(u))
                    .filter(b -> b.state() == JobState.RUNNING)
                    .filter(b -> (Long) backupService().getParameters(b.uuid()).get(BackupParameters.ELAPSED_MS) > 0)
                    .isPresent());
            UUID cutShort = status("it-cut").lastRun().outcomes().get(0).backup();

            restartImplementation();
            waitUntil("the run cut short is finished", 300, () -> {
                PolicyRun r = status("it-cut").lastRun();
                return r != null && r.started().equals(run.started()) && r.over();
            });
            PolicyRun done = status("it-cut").lastRun();
            assertEquals("resumed", done.trigger());
            assertEquals("the backup running through the restart is the run's, taken over", cutShort,
                    done.outcomes().get(0).backup());
            BackupService backups = backupService();
            for (DomainOutcome o : done.outcomes()) {
                assertEquals(o.toString(), Result.DONE, o.result());
                List<Backup> completed = backups.list(o.domain(), Set.of()).stream()
                        .filter(b -> b.state() == JobState.COMPLETED).toList();
                assertEquals("one backup of " + o.domain() + ", the run's: " + completed, List.of(o.backup()),
                        completed.stream().map(Backup::uuid).toList());
            }
            assertIdentical(image(backups.lookup(done.outcomes().get(0).backup()).orElseThrow()), big.expectedImage("expected.qcow2"));
            assertIdentical(image(backups.lookup(done.outcomes().get(1).backup()).orElseThrow()), smallMoment);
        }
    }

    @Test
    public void aPolicyThatCannotBeUsedIsShownWithItsProblemAndRefusedClearly() throws Exception {
        policy("it-bad", "domains", "*", "schedule", "every night");
        waitUntil("the policy is listed", 30, () -> policies().policies().stream().anyMatch(p -> p.name().equals("it-bad")));
        PolicyStatus bad = status("it-bad");
        assertFalse(bad.valid());
        assertTrue(bad.problem(), bad.problem().contains("'every night' is not a cron expression"));
        BackupException e = assertThrowsBackup(() -> policies().run("it-bad"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage(), e.getMessage().contains("not usable"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrowsBackup(() -> policies().run("it-none")).code());
        String shown = executeCommand("backup:policies");
        assertTrue(shown, shown.contains("NOT USABLE: the schedule 'every night' is not a cron expression"));
    }

    @Test
    public void onlyAnAdministratorChangesAPolicy() throws Exception {
        // A policy deletes backups and acts as an administrator: a manager changes no configuration here.
        for (String edit : List.of("config:edit --factory --alias it-sneaky org.virtbackup.policy", "config:edit org.virtbackup")) {
            try {
                executeCommandAs(edit, "manager", "viewer");
                throw new IllegalStateException("a manager ran " + edit);
            } catch (AssertionError expected) {
                // Karaf hides a command its ACL denies: "not found" for a manager, found for an administrator below.
                assertTrue(expected.getMessage(), expected.getMessage().contains("Insufficient credentials")
                        || expected.getMessage().contains("Command not found: config:edit"));
            }
        }
        executeCommand("config:edit org.virtbackup"); // an administrator does
    }

    // ---- helpers

    private record Write(Instant start, Instant end, Path moment) {
    }

    private static Write write(Twin twin, int pattern, long offset, long length) throws Exception {
        Instant start = Instant.now();
        twin.write(pattern, offset, length);
        return new Write(start, Instant.now(), twin.snapshot());
    }

    /** What the disk held when the backup began: the last write before it; none may overlap its job. */
    private static Path expectedAt(List<Write> writes, Backup b) {
        Write last = null;
        for (Write w : writes) {
            boolean overlaps = w.start().isBefore(b.completionTime()) && w.end().isAfter(b.creationTime());
            assertFalse("a write overlapped backup " + b.uuid() + ": cannot tell its moment", overlaps);
            if (w.end().isBefore(b.creationTime())) {
                last = w;
            }
        }
        assertNotNull("a write before " + b.uuid(), last);
        return last.moment();
    }

    private static List<Backup> completed(BackupService backups, Guest guest) {
        return backups.list(guest.name(), Set.of()).stream().filter(b -> b.state() == JobState.COMPLETED).toList();
    }

    private Backup awaitNewBackup(BackupService backups, Guest guest, Set<UUID> seen, int seconds) throws Exception {
        Backup[] found = new Backup[1];
        waitUntil("a new completed backup of " + guest.name(), seconds, () -> {
            Optional<Backup> b = backups.list(guest.name(), Set.of()).stream()
                    .filter(x -> x.state() == JobState.COMPLETED && !seen.contains(x.uuid())).findFirst();
            b.ifPresent(x -> found[0] = x);
            return b.isPresent();
        });
        return found[0];
    }

    /** No backup of the guest runs and the policy's latest run is over. */
    private void awaitQuiet(BackupService backups, Guest guest, String policy, int seconds) throws Exception {
        waitUntil("no run of " + policy + " on " + guest.name(), seconds, () -> {
            PolicyRun r = status(policy).lastRun();
            return r != null && r.over()
                    && backups.list(guest.name(), Set.of()).stream().noneMatch(b -> b.state() == JobState.RUNNING);
        });
    }

    private PolicyRun runAndWait(String policy) throws Exception {
        waitUntil("policy " + policy + " is ready", 30, () -> policies().policies().stream().anyMatch(p -> p.name().equals(policy)));
        PolicyRun run = policies().run(policy);
        waitUntil("the run of " + policy + " ended", 180, () -> {
            PolicyRun r = status(policy).lastRun();
            return r != null && r.started().equals(run.started()) && r.over();
        });
        return status(policy).lastRun();
    }

    /** Configures a policy as an operator does: a file in etc/, read by Karaf's file install. */
    private void policy(String name, String... keyValues) throws Exception {
        StringBuilder cfg = new StringBuilder("name = " + name + "\n");
        for (int i = 0; i < keyValues.length; i += 2) {
            cfg.append(keyValues[i]).append(" = ").append(keyValues[i + 1]).append('\n');
        }
        Path file = Path.of(System.getProperty("karaf.etc"), "org.virtbackup.policy-" + name + ".cfg");
        Files.writeString(file, cfg);
        if (!policyFiles.contains(file)) {
            policyFiles.add(file);
        }
        waitUntil("policy " + name + " is configured", 30, () -> policies().policies().stream().anyMatch(p -> p.name().equals(name)));
    }

    private PolicyService policies() {
        return service(PolicyService.class, SERVICE_TIMEOUT_MS);
    }

    private PolicyStatus status(String name) {
        return policies().policies().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no policy " + name));
    }

    private Path targetRoots() {
        return Path.of(System.getProperty("karaf.data"), "virt-backup-targets");
    }

    private static BackupException assertThrowsBackup(Runnable call) {
        try {
            call.run();
        } catch (BackupException e) {
            return e;
        }
        throw new AssertionError("expected a BackupException, got none");
    }
}
