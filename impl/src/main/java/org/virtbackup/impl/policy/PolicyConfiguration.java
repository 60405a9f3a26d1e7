package org.virtbackup.impl.policy;

import java.time.ZoneId;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One {@value PolicyConfig#FACTORY_PID} configuration, offered to the {@link PolicyEngine} as a
 * service of this bundle (a whiteboard of policies). An edit of the configuration replaces its
 * {@link PolicyDefinition} here rather than restarting the component: the engine swaps the policy
 * in place, so nobody asking for it meanwhile is told it does not exist.
 */
@Component(service = PolicyConfiguration.class, configurationPid = PolicyConfig.FACTORY_PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = PolicyConfig.class, factory = true)
public final class PolicyConfiguration {

    private volatile PolicyDefinition definition;

    @Activate
    public PolicyConfiguration(PolicyConfig config, Map<String, Object> properties) {
        modified(config, properties);
    }

    @Modified
    void modified(PolicyConfig config, Map<String, Object> properties) {
        definition = new PolicyDefinition(config, String.valueOf(properties.get("service.pid")), ZoneId.systemDefault());
    }

    /** The definition the configuration gives now. */
    public PolicyDefinition definition() {
        return definition;
    }
}
