package org.virtbackup.impl.repository;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.impl.config.Ticker;

/**
 * Lists the repositories in use again every {@code repository.refresh.seconds}: what the other
 * hosts sharing them completed or deleted shows here within that time.
 */
public final class RepositoryRefresh implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryRefresh.class);

    private final Runnable listAgain;
    private final Duration every;
    private final Ticker ticker = new Ticker("virt-backup-repository-refresh");

    public RepositoryRefresh(RepositoryMaintenance maintenance, Duration every) {
        this(() -> maintenance.refresh(null), every);
    }

    /** @param every zero or less: never */
    RepositoryRefresh(Runnable listAgain, Duration every) {
        this.listAgain = listAgain;
        this.every = every;
    }

    public void start() {
        if (!every.isZero() && !every.isNegative()) {
            ticker.repeat(every, every, listAgain, this::failed);
        }
    }

    private void failed(Throwable e) {
        if (e instanceof Error) { // a LinkageError of a bundle being replaced, an OutOfMemoryError: said, and tried again
            LOG.error("Listing the repositories again failed (tried again in {} s)", every.toSeconds(), e);
        } else {
            LOG.warn("Listing the repositories again failed (tried again in {} s): {}", every.toSeconds(), e.getMessage());
        }
    }

    @Override
    public void close() {
        ticker.close();
    }
}
