package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbackup.impl.policy.PolicyConfigs.configuration;
import static org.virtbackup.impl.policy.PolicyConfigs.edit;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.scheduler.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.policy.PolicyStatus;

/** The engine's view of the policy configurations as they come, change and go. */
class PolicyEngineTest {

    @TempDir
    Path state;

    /** What the engine listed each time it took a schedule down. */
    private final List<List<String>> listedAtUnschedule = new ArrayList<>();
    private PolicyEngine engine;
    /** How many schedules the engine asked for. */
    private int scheduled;

    private PolicyEngine engine() {
        Scheduler scheduler = (Scheduler) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Scheduler.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("EXPR")) {
                        scheduled++; // then refused, as the proxy schedules nothing
                    }
                    if (method.getName().equals("unschedule")) {
                        listedAtUnschedule.add(engine.policies().stream().map(PolicyStatus::name).toList());
                        return true;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        BackupService backups = (BackupService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BackupService.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException(method.getName());
                });
        engine = new PolicyEngine(backups, scheduler, state, Clock.systemUTC(), Duration.ofMillis(10));
        return engine;
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.deactivate();
        }
    }

    private PolicyStatus status(String name) {
        return engine.policies().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void anEditedPolicyIsSwappedInPlaceAndNeverMissingMeanwhile() {
        PolicyEngine e = engine();
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        e.bindPolicy(c);
        assertEquals(List.of("web"), status("nightly").domains());

        edit(c, "name", "nightly", "domains", "db");
        e.updatedPolicy(c);

        assertEquals(List.of("db"), status("nightly").domains(), "the edit applies");
        assertEquals("", status("nightly").problem(), "the new definition is the one that runs");
        assertEquals(1, e.policies().size());
        assertEquals(List.of(List.of("nightly")), listedAtUnschedule,
                "while its old schedule came down, the policy was still listed");
    }

    @Test
    void aRenamedPolicyReplacesTheOldNameAndAnUnusableEditIsListedWithItsProblem() {
        PolicyEngine e = engine();
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        e.bindPolicy(c);

        edit(c, "name", "weekly", "domains", "web");
        e.updatedPolicy(c);
        assertEquals(List.of("weekly"), e.policies().stream().map(PolicyStatus::name).toList());
        assertEquals("", status("weekly").problem(), "the renamed policy runs");
        assertEquals(List.of(List.<String>of()), listedAtUnschedule, "the old name's schedule came down with it");
        assertThrows(BackupException.class, () -> e.run("nightly"));

        edit(c, "name", "weekly", "domains", "web", "keep.last", "-3");
        e.updatedPolicy(c);
        assertFalse(status("weekly").problem().isEmpty(), "an unusable edit says why");
        assertEquals(1, e.policies().size());
        assertEquals(2, listedAtUnschedule.size(), "its schedule came down");
        BackupException refused = assertThrows(BackupException.class, () -> e.run("weekly"));
        assertTrue(refused.getMessage().contains("not usable"), refused.getMessage());

        e.unbindPolicy(c);
        assertTrue(e.policies().isEmpty());
    }

    @Test
    void anUnchangedDefinitionIsLeftAlone() {
        PolicyEngine e = engine();
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        e.bindPolicy(c);
        e.updatedPolicy(c);
        assertTrue(listedAtUnschedule.isEmpty(), "nothing was taken down: " + listedAtUnschedule);
    }

    @Test
    void aStoppedEngineSchedulesNoConfigurationThatTakesOverAName() {
        PolicyEngine e = engine();
        PolicyConfiguration first = configuration("name", "nightly", "domains", "web", "schedule", "0 0 2 * * ?");
        PolicyConfiguration second = PolicyConfigs.configurationOf("org.virtbackup.policy~2", "name", "nightly", "domains", "db", "schedule",
                "0 0 3 * * ?");
        e.bindPolicy(first);
        e.bindPolicy(second); // refused while the first holds the name
        assertEquals(1, scheduled);
        e.deactivate();
        e.unbindPolicy(first); // SCR unbinds a stopped component's references after its deactivate
        assertEquals(1, scheduled, "nothing scheduled on Karaf's scheduler by an engine that has stopped");
    }
}
