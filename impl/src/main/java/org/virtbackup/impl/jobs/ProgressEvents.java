package org.virtbackup.impl.jobs;

import java.time.Duration;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.config.Ticker;

/** Posts a {@code PROGRESS} event for every running job once a second, while Event Admin is there. */
public final class ProgressEvents implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressEvents.class);
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final Catalogue catalogue;
    private final JobTracker jobs;
    private final Events events;
    private final Ticker ticker = new Ticker("virt-backup-progress-events");

    public ProgressEvents(Catalogue catalogue, JobTracker jobs, Events events) {
        this.catalogue = catalogue;
        this.jobs = jobs;
        this.events = events;
    }

    public void start() {
        ticker.repeat(SECOND, SECOND, this::postEach, e -> LOG.debug("No progress events this second: {}", e.toString()));
    }

    @Override
    public void close() {
        ticker.close();
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
