package org.virtbackup.impl.policy;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.karaf.scheduler.Scheduler;
import org.apache.karaf.scheduler.SchedulerError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The policies' schedules on Karaf's scheduler (Quartz underneath), one job per policy, and why one was refused. */
final class PolicySchedules {

    private static final Logger LOG = LoggerFactory.getLogger(PolicySchedules.class);
    private static final String JOB_PREFIX = "virt-backup-policy-";

    private final Scheduler scheduler;
    private final Map<String, String> refused = new ConcurrentHashMap<>();

    PolicySchedules(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Fires {@code fire} at each time the expression names after {@code now}; a refusal is logged and kept. */
    void schedule(String policy, CronSchedule cron, Instant now, Runnable fire) {
        if (cron.next(now).isEmpty()) {
            // Quartz refuses a trigger that never fires; a missed run may still be caught up.
            LOG.info("Policy {}: its schedule '{}' fires no more", policy, cron);
            return;
        }
        try {
            scheduler.schedule(fire, scheduler.EXPR(cron.expression()).name(JOB_PREFIX + policy).canRunConcurrently(true));
            refused.remove(policy);
        } catch (SchedulerError | RuntimeException e) {
            LOG.error("Policy {}: Karaf's scheduler refused its schedule '{}': {}", policy, cron, e.getMessage());
            refused.put(policy, "Karaf's scheduler refused the schedule: " + e.getMessage());
        }
    }

    void unschedule(String policy) {
        scheduler.unschedule(JOB_PREFIX + policy);
        refused.remove(policy);
    }

    /** Why the scheduler did not take the policy's schedule, if it did not. */
    Optional<String> refusal(String policy) {
        return Optional.ofNullable(refused.get(policy));
    }
}
