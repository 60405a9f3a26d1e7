package org.virtbackup.impl.repository;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists the repositories in use again every {@code repository.refresh.seconds}: what the other
 * hosts sharing them completed or deleted shows here within that time.
 */
public final class RepositoryRefresh implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryRefresh.class);

    private final RepositoryMaintenance maintenance;
    private final Duration every;
    private final ScheduledExecutorService ticker;

    /** @param every zero or less: never */
    public RepositoryRefresh(RepositoryMaintenance maintenance, Duration every) {
        this.maintenance = maintenance;
        this.every = every;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "virt-backup-repository-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        if (!every.isZero() && !every.isNegative()) {
            ticker.scheduleWithFixedDelay(this::refresh, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void refresh() {
        try {
            maintenance.refresh(null);
        } catch (RuntimeException e) {
            LOG.warn("Listing the repositories again failed (tried again in {} s): {}", every.toSeconds(), e.getMessage());
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
