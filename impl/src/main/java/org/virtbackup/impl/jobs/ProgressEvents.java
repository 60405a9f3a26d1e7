package org.virtbackup.impl.jobs;

import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.impl.catalogue.Catalogue;

/** Posts a {@code PROGRESS} event for every running job once a second, while Event Admin is there. */
public final class ProgressEvents implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressEvents.class);

    private final Catalogue catalogue;
    private final JobTracker jobs;
    private final Events events;
    private final ScheduledExecutorService ticker;

    public ProgressEvents(Catalogue catalogue, JobTracker jobs, Events events) {
        this.catalogue = catalogue;
        this.jobs = jobs;
        this.events = events;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "virt-backup-progress-events");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        ticker.scheduleWithFixedDelay(this::post, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }

    /** Never throws: a scheduled task that throws is never run again. */
    private void post() {
        try {
            postEach();
        } catch (RuntimeException | Error e) { // JNA's errors are Errors
            LOG.debug("No progress events this second: {}", e.toString());
        }
    }

    private void postEach() {
        if (!events.enabled()) {
            return; // reading progress costs a libvirt call per job
        }
        for (UUID uuid : jobs.running()) {
            try {
                jobs.get(uuid).ifPresent(r -> catalogue.get(uuid).ifPresent(e -> events.progress(e.backup(), r.job().progress())));
            } catch (RuntimeException e) {
                LOG.debug("No progress event for {}: {}", uuid, e.getMessage());
            }
        }
    }
}
