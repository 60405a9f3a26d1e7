package org.virtbackup.impl.policy;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.PolicyEvents;
import org.virtbackup.api.policy.PolicyRun;

/** Posts {@link PolicyEvents} through Event Admin when one is there; without it, nothing happens. */
final class RunEvents {

    private final AtomicReference<EventAdmin> eventAdmin = new AtomicReference<>();

    void use(EventAdmin admin) {
        eventAdmin.set(admin);
    }

    void drop(EventAdmin admin) {
        eventAdmin.compareAndSet(admin, null);
    }

    void started(PolicyRun run) {
        post(PolicyEvents.STARTED, properties(run));
    }

    void ended(PolicyRun run) {
        Map<String, Object> p = properties(run);
        p.put(PolicyEvents.DONE, count(run, DomainOutcome.Result.DONE));
        p.put(PolicyEvents.SKIPPED, count(run, DomainOutcome.Result.SKIPPED));
        p.put(PolicyEvents.FAILED, count(run, DomainOutcome.Result.FAILED));
        post(PolicyEvents.ENDED, p);
    }

    private static int count(PolicyRun run, DomainOutcome.Result result) {
        return (int) run.outcomes().stream().filter(o -> o.result() == result).count();
    }

    private static Map<String, Object> properties(PolicyRun run) {
        Map<String, Object> p = new HashMap<>();
        p.put(PolicyEvents.POLICY, run.policy());
        p.put(PolicyEvents.TRIGGER, run.trigger());
        p.put(PolicyEvents.STARTED_AT, run.started().toEpochMilli());
        p.put(PolicyEvents.DOMAINS, run.outcomes().stream().map(DomainOutcome::domain).toArray(String[]::new));
        return p;
    }

    private void post(String topic, Map<String, Object> properties) {
        EventAdmin admin = eventAdmin.get();
        if (admin != null) {
            admin.postEvent(new Event(topic, properties));
        }
    }
}
