package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.impl.config.Configurations;

/** A policy's configuration: what it reads, and a clear refusal of what it cannot use. */
class PolicyTest {

    private static Policy policy(String... keyValues) {
        Map<String, Object> p = new HashMap<>();
        p.put("name", "nightly");
        p.put("domains", new String[] {"web-*", "db"});
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return Policy.of(Configurations.of(PolicyConfig.class, p), ZoneOffset.UTC);
    }

    private static String refusal(String... keyValues) {
        return assertThrows(IllegalArgumentException.class, () -> policy(keyValues)).getMessage();
    }

    @Test
    void readsEveryAttribute() {
        Policy p = policy("schedule", "0 0 2 * * ?", "catch.up", "true", "target", "file:///srv/repo",
                "full.every.backups", "7", "full.every.days", "30", "keep.last", "3", "keep.daily", "7",
                "verify.after.days", "14", "max.concurrent", "4");
        assertEquals("nightly", p.name());
        assertEquals("0 0 2 * * ?", p.schedule().expression());
        assertTrue(p.catchUp());
        assertEquals(BackupTarget.repository("file:///srv/repo"), p.target());
        assertEquals(new FullRule(7, 30), p.fullRule());
        assertEquals(new Retention(3, -1, 7, -1, -1, -1), p.retention(), "0 is no rule");
        assertEquals(14, p.verifyAfterDays());
        assertEquals(4, p.maxConcurrent());
    }

    @Test
    void aValueTheFrameworkCannotConvertMakesTheDefinitionUnusableNotMissing() {
        Map<String, Object> p = new HashMap<>();
        p.put("name", "nightly");
        p.put("domains", new String[] {"db"});
        PolicyConfig config = Configurations.of(PolicyConfig.class, p);
        // Felix SCR's own exception for "keep.last = three", not an IllegalArgumentException.
        PolicyConfig unconvertible = (PolicyConfig) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {PolicyConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("keep_last")) {
                        throw new IllegalStateException("Could not coerce three to int");
                    }
                    try {
                        return method.invoke(config, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        PolicyDefinition d = new PolicyDefinition(unconvertible, "pid-1", ZoneOffset.UTC);
        assertEquals("nightly", d.name());
        assertTrue(d.policy().isEmpty());
        assertTrue(d.problem().contains("three"), d.problem());
        assertTrue(refusal("max.concurrent", "0").contains("max.concurrent: 0 is less than 1"));
    }

    @Test
    void defaultsRunOnDemandIntoEachDomainsOwnTargetKeepingEverything() {
        Policy p = policy();
        assertNull(p.schedule());
        assertNull(p.target());
        assertFalse(p.retention().any());
        assertEquals(2, p.maxConcurrent());
        assertEquals(BackupTarget.directory("/srv/backups"), policy("target", "/srv/backups").target());
    }

    @Test
    void coversDomainsByNameAndGlob() {
        Policy p = policy();
        assertTrue(p.covers("web-1"));
        assertTrue(p.covers("db"));
        assertFalse(p.covers("db2"));
        assertFalse(p.covers("mail"));
        assertTrue(policy("domains", "*").covers("anything.at-all"));
        assertTrue(policy("domains", "a  b,c").covers("b"), "a .cfg file separates names by commas or blanks");
    }

    @Test
    void refusesWhatItCannotUseNamingTheAttribute() {
        assertTrue(refusal("name", "no/slash").startsWith("name 'no/slash'"));
        assertTrue(refusal("domains", "").startsWith("domains:"));
        assertTrue(refusal("domains", "a/b").contains("'/'"));
        assertTrue(refusal("schedule", "every night").contains("not a cron expression"));
        assertTrue(refusal("catch.up", "true").startsWith("catch.up:"));
        assertTrue(refusal("keep.last", "-1").startsWith("keep.last: -1"));
        assertTrue(refusal("target", "relative/dir").startsWith("target 'relative/dir'"));
    }
}
