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

    private final Runnable listAgain;
    private final Duration every;
    private final ScheduledExecutorService ticker;

    public RepositoryRefresh(RepositoryMaintenance maintenance, Duration every) {
        this(() -> maintenance.refresh(null), every);
    }

    /** @param every zero or less: never */
    RepositoryRefresh(Runnable listAgain, Duration every) {
        this.listAgain = listAgain;
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

    /** Never throws: a scheduled task that throws is never run again, and nobody would know. */
    private void refresh() {
        try {
            listAgain.run();
        } catch (RuntimeException e) {
            LOG.warn("Listing the repositories again failed (tried again in {} s): {}", every.toSeconds(), e.getMessage());
        } catch (Error e) { // a LinkageError of a bundle being replaced, an OutOfMemoryError: said, and tried again
            LOG.error("Listing the repositories again failed (tried again in {} s)", every.toSeconds(), e);
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
