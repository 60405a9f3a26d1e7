package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbackup.impl.policy.PolicyConfigs.configuration;
import static org.virtbackup.impl.policy.PolicyConfigs.edit;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;

/** Which configuration runs under each name, and what the owner is told, without a scheduler. */
class PolicyRegistryTest {

    /** What the owner was told, in order: "start NAME [DOMAINS]" or "stop NAME". */
    private final List<String> told = new ArrayList<>();
    /** The names listed each time the owner was told something. */
    private final List<List<String>> listedWhenTold = new ArrayList<>();
    private final PolicyRegistry registry = new PolicyRegistry(p -> tell("start " + p.name() + " " + p.domains()),
            name -> tell("stop " + name));

    private void tell(String what) {
        told.add(what);
        listedWhenTold.add(names());
    }

    private List<String> names() {
        return registry.definitions().stream().map(PolicyDefinition::name).toList();
    }

    private void forget() {
        told.clear();
        listedWhenTold.clear();
    }

    private String refusal(String name) {
        return assertThrows(BackupException.class, () -> registry.usable(name)).getMessage();
    }

    @Test
    void aSameNamedUsableEditIsSwappedInPlaceAndStaysListed() {
        registry.bind(configuration("name", "first", "domains", "web"));
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        registry.bind(c);
        registry.bind(configuration("name", "last", "domains", "web"));
        forget();

        edit(c, "name", "nightly", "domains", "db");
        registry.update(c);

        assertEquals(List.of("stop nightly", "start nightly [db]"), told);
        List<String> inPlace = List.of("first", "nightly", "last");
        assertEquals(List.of(inPlace, inPlace), listedWhenTold, "listed at its place while swapped");
        assertEquals(inPlace, names());
        assertTrue(registry.runs(c.definition()));
        assertEquals(List.of("db"), registry.usable("nightly").domains());
    }

    @Test
    void aRenameIsTakenDownAndStartedUnderTheNewName() {
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        registry.bind(c);
        forget();

        edit(c, "name", "weekly", "domains", "web");
        registry.update(c);

        assertEquals(List.of("stop nightly", "start weekly [web]"), told);
        assertEquals(List.of("weekly"), names());
        assertTrue(refusal("nightly").contains("no policy is named 'nightly'"), refusal("nightly"));
        assertEquals("weekly", registry.usable("weekly").name());
    }

    @Test
    void anUnusableEditIsTakenDownAndListedWithItsProblemUntilMendedAgain() {
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        registry.bind(c);
        forget();

        edit(c, "name", "nightly", "domains", "web", "keep.last", "-3");
        registry.update(c);

        assertEquals(List.of("stop nightly"), told);
        assertEquals(List.of("nightly"), names());
        assertFalse(registry.runs(c.definition()));
        assertFalse(c.definition().problem().isEmpty());
        assertTrue(refusal("nightly").contains("not usable"), refusal("nightly"));
        assertTrue(registry.isPolicy("nightly"), "an unusable configuration still names a policy");
        assertTrue(registry.running().isEmpty());

        edit(c, "name", "nightly", "domains", "web");
        registry.update(c);
        assertEquals(List.of("stop nightly", "start nightly [web]"), told);
        assertTrue(registry.runs(c.definition()));
    }

    @Test
    void aNameTakenByASecondConfigurationIsRefusedUntilTheFirstGoes() {
        PolicyConfiguration first = configuration("name", "nightly", "domains", "web");
        PolicyConfiguration second = configuration("name", "nightly", "domains", "db");
        registry.bind(first);
        registry.bind(second);

        assertEquals(List.of("start nightly [web]"), told, "the second is not started");
        assertEquals(List.of("nightly", "nightly"), names(), "both are listed");
        assertFalse(registry.runs(second.definition()));
        assertEquals(List.of("web"), registry.usable("nightly").domains());
        assertEquals(1, registry.running().size());

        registry.unbind(first);
        assertEquals(List.of("start nightly [web]", "stop nightly", "start nightly [db]"), told);
        assertEquals(List.of("db"), registry.usable("nightly").domains());
        assertEquals(List.of("nightly"), names());
    }

    @Test
    void anEditOfTheConfigurationThatDoesNotRunLeavesTheRunningOneAlone() {
        PolicyConfiguration first = configuration("name", "nightly", "domains", "web");
        PolicyConfiguration second = configuration("name", "nightly", "domains", "db");
        registry.bind(first);
        registry.bind(second);
        forget();

        edit(second, "name", "nightly", "domains", "app");
        registry.update(second);

        assertEquals(List.of(), told);
        assertTrue(registry.runs(first.definition()));
        assertFalse(registry.runs(second.definition()));
        assertEquals(List.of("web"), registry.usable("nightly").domains());
    }

    @Test
    void aRunningPolicyMadeUnusableHandsItsNameToTheNextUsableOne() {
        PolicyConfiguration first = configuration("name", "nightly", "domains", "web");
        PolicyConfiguration second = configuration("name", "nightly", "domains", "db");
        registry.bind(first);
        registry.bind(second);
        forget();

        edit(first, "name", "nightly", "domains", "web", "keep.last", "-3");
        registry.update(first);

        assertEquals(List.of("stop nightly", "start nightly [db]"), told);
        assertTrue(registry.runs(second.definition()));
        assertEquals(List.of("nightly", "nightly"), names());
    }

    @Test
    void anUnchangedOrUnknownConfigurationIsLeftAlone() {
        PolicyConfiguration c = configuration("name", "nightly", "domains", "web");
        registry.bind(c);
        forget();

        registry.update(c);
        PolicyConfiguration unknown = configuration("name", "nightly", "domains", "db");
        registry.update(unknown);
        registry.unbind(unknown);

        assertEquals(List.of(), told);
        assertEquals(List.of("nightly"), names());
        assertTrue(registry.runs(c.definition()));
    }

    @Test
    void aNewPolicyIsListedOnlyOnceStarted() {
        registry.bind(configuration("name", "nightly", "domains", "web"));
        assertEquals(List.of(List.<String>of()), listedWhenTold, "a caller who sees it listed may run it at once");
        assertEquals(List.of("nightly"), names());
    }

    @Test
    void aLookupRefusesClearly() {
        assertTrue(refusal("nightly").contains("none is configured"), refusal("nightly"));
        assertFalse(registry.isPolicy("nightly"));

        registry.bind(configuration("name", "weekly", "domains", "web"));
        assertEquals("no policy is named 'nightly'", refusal("nightly"));
        assertTrue(registry.isPolicy("weekly"));
    }
}
