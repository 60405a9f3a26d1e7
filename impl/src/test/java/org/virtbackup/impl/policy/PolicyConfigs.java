package org.virtbackup.impl.policy;

import java.util.HashMap;
import java.util.Map;

import org.virtbackup.impl.config.Configurations;

/** Policy configurations for tests, as Configuration Admin would hand them over: key, value, key, value... */
final class PolicyConfigs {

    static final String PID = "org.virtbackup.policy~1";

    private PolicyConfigs() {
    }

    static PolicyConfig config(String... keyValues) {
        Map<String, Object> p = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put(keyValues[i], keyValues[i + 1]);
        }
        return Configurations.of(PolicyConfig.class, p);
    }

    /** A configuration component of {@link #PID}. */
    static PolicyConfiguration configuration(String... keyValues) {
        return configurationOf(PID, keyValues);
    }

    /** A configuration component of another pid: a second configuration. */
    static PolicyConfiguration configurationOf(String pid, String... keyValues) {
        return new PolicyConfiguration(config(keyValues), Map.of("service.pid", pid));
    }

    /** An edit of {@link #PID}'s configuration, as {@code @Modified} receives it. */
    static void edit(PolicyConfiguration c, String... keyValues) {
        c.modified(config(keyValues), Map.of("service.pid", PID));
    }
}
