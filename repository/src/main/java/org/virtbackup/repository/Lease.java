package org.virtbackup.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;

/**
 * A lease this process holds on a shared repository ({@link Leases}): its object is rewritten
 * every quarter of the lease time while it is held, and removed when it is closed.
 */
final class Lease implements AutoCloseable {

    private final Leases leases;
    private final String name;
    private final byte[] content;
    private final String purpose;
    private volatile long refreshed = System.nanoTime();
    private volatile String lost;
    private volatile ScheduledFuture<?> refreshing;

    Lease(Leases leases, String name, String content, String purpose) {
        this.leases = leases;
        this.name = name;
        this.content = content.getBytes(StandardCharsets.UTF_8);
        this.purpose = purpose;
    }

    String name() {
        return name;
    }

    /** Writes the lease object; the first time, before anyone may count on it. */
    void write() {
        leases.objects().put(Envelope.TYPE_LOCK, name, content, content.length);
        refreshed = System.nanoTime();
    }

    void refreshing(ScheduledFuture<?> task) {
        this.refreshing = task;
    }

    /** Rewrites the lease, unless someone removed it (it was taken for dead): then it is lost for good. */
    void refresh() {
        if (lost != null) {
            return;
        }
        try {
            if (!leases.store().exists(name)) {
                lost = "its lease object was removed by another process, which took this one for dead";
                return;
            }
            write();
        } catch (IOException | RuntimeException e) {
            // tried again at the next turn; requireHeld tells when that has been too long
        }
    }

    /**
     * Throws unless the lease was rewritten within half the lease time: after that, another
     * process may soon take this one for dead and act on it (a collection may remove chunks
     * this backup names), so what the lease guards is given up.
     */
    void requireHeld() {
        long age = System.nanoTime() - refreshed;
        if (lost == null && age > leases.sharing().lease().toNanos() / 2) {
            lost = "it could not be rewritten for " + age / 1_000_000_000 + " s (lease " + leases.sharing().lease().toSeconds()
                    + " s): the store was unreachable or this process stalled";
        }
        if (lost != null) {
            throw new RepositoryException(RepositoryException.Problem.BUSY, purpose + " in " + leases.store().describe()
                    + " was given up: its lease lapsed, " + lost);
        }
    }

    /** Stops rewriting the lease and removes it. */
    @Override
    public void close() {
        ScheduledFuture<?> task = refreshing;
        if (task != null) {
            task.cancel(false);
        }
        try {
            leases.store().delete(name);
        } catch (IOException e) {
            // it dies on its own once its lease time has passed
        }
    }
}
