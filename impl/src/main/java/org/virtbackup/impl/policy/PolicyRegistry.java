package org.virtbackup.impl.policy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * The policy configurations as they come, change and go, and which one runs under each name: of
 * several with one name, the first usable one. Its owner is told when a name's policy starts or
 * stops running, under this registry's lock, so that the configurations' changes are applied one
 * at a time; listing and lookup take no lock.
 */
final class PolicyRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyRegistry.class);

    private final Consumer<Policy> start;
    private final Consumer<String> stop;
    /** Every configuration, in the order it came. */
    private final List<PolicyDefinition> definitions = new CopyOnWriteArrayList<>();
    /** The definition last taken from each configuration; only under this registry's lock. */
    private final Map<PolicyConfiguration, PolicyDefinition> taken = new HashMap<>();
    /** The configuration running under each name. */
    private final Map<String, PolicyDefinition> active = new ConcurrentHashMap<>();

    /**
     * @param start makes a policy run under its name (a policy already running under it was stopped first)
     * @param stop takes down the policy running under a name
     */
    PolicyRegistry(Consumer<Policy> start, Consumer<String> stop) {
        this.start = start;
        this.stop = stop;
    }

    synchronized void bind(PolicyConfiguration configuration) {
        PolicyDefinition definition = configuration.definition();
        taken.put(configuration, definition);
        add(definition);
    }

    /** An edited configuration: the same policy with new values is swapped in place, never gone meanwhile. */
    synchronized void update(PolicyConfiguration configuration) {
        PolicyDefinition old = taken.get(configuration);
        PolicyDefinition now = configuration.definition();
        if (old == null || old == now) {
            return;
        }
        taken.put(configuration, now);
        if (active.get(old.name()) == old && now.name().equals(old.name()) && now.policy().isPresent()) {
            definitions.set(definitions.indexOf(old), now);
            active.put(now.name(), now);
            stop.accept(now.name());
            start.accept(now.policy().get());
        } else {
            remove(old);
            add(now);
        }
    }

    synchronized void unbind(PolicyConfiguration configuration) {
        PolicyDefinition definition = taken.remove(configuration);
        if (definition != null) {
            remove(definition);
        }
    }

    private void add(PolicyDefinition definition) {
        if (definition.policy().isEmpty()) {
            LOG.error("Policy {} is not usable: {}", definition.name(), definition.problem());
        } else if (active.putIfAbsent(definition.name(), definition) == null) {
            start.accept(definition.policy().get());
        } else {
            LOG.error("Two policy configurations are named {}: the one that came first runs", definition.name());
        }
        // Listed once its state is open: a caller who sees it listed may run it at once.
        definitions.add(definition);
    }

    private void remove(PolicyDefinition definition) {
        definitions.remove(definition);
        if (active.remove(definition.name(), definition)) {
            stop.accept(definition.name());
            definitions.stream().filter(d -> d.name().equals(definition.name()) && d.policy().isPresent()).findFirst()
                    .ifPresent(next -> {
                        active.put(next.name(), next);
                        start.accept(next.policy().get());
                    });
        }
    }

    /** Every configuration's definition, in the order they came. */
    List<PolicyDefinition> definitions() {
        return List.copyOf(definitions);
    }

    /** Whether this definition is the one running under its name. */
    boolean runs(PolicyDefinition definition) {
        return active.get(definition.name()) == definition;
    }

    /** The policies running, one per name. */
    List<Policy> running() {
        return active.values().stream().flatMap(d -> d.policy().stream()).toList();
    }

    /** Whether a configuration, usable or not, has this name. */
    boolean isPolicy(String name) {
        return active.containsKey(name) || definitions.stream().anyMatch(d -> d.name().equals(name));
    }

    /** The policy running under this name, or a clear refusal. */
    Policy usable(String name) {
        PolicyDefinition d = active.get(name);
        if (d != null) {
            return d.policy().orElseThrow();
        }
        Optional<PolicyDefinition> any = definitions.stream().filter(x -> x.name().equals(name)).findFirst();
        throw new BackupException(ErrorCode.INVALID_ARGUMENT, any.isPresent()
                ? "policy " + name + " is not usable: " + any.get().problem()
                : "no policy is named '" + name + "'" + (definitions.isEmpty()
                        ? " (none is configured: see etc/org.virtbackup.policy-*.cfg)" : ""));
    }
}
