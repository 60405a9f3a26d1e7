package org.virtbackup.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;

/**
 * A lease this process holds on a shared repository ({@link Leases}): its object is rewritten
 * every quarter of the lease time while it is held, and removed when it is closed. Once it could
 * not be rewritten for half the lease time it is lost for good: it is never written again (a
 * late rewrite could revive a lease another process already took for dead).
 */
final class Lease implements AutoCloseable {

    private final Leases leases;
    private final String name;
    private final byte[] content;
    private final String purpose;
    /** When the last successful write started ({@link System#nanoTime}); guarded by this. */
    private long refreshed;
    private volatile String lost;
    private boolean closed; // guarded by this
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

    /** Writes the lease object the first time, before anyone may count on it. */
    synchronized void write() {
        long started = System.nanoTime();
        leases.objects().put(Envelope.TYPE_LOCK, name, content, content.length);
        refreshed = started; // the store's time of the write is no earlier than this
    }

    void refreshing(ScheduledFuture<?> task) {
        this.refreshing = task;
    }

    /**
     * Rewrites the lease, unless it is closed or lost: lapsed, or removed by someone who took it
     * for dead. A rewrite that lands more than half the lease time after the last one loses it
     * too: a stall between the look and the write (a long GC pause, a slow store) may have let
     * another process take it for dead, remove it and act, and the write has just revived it.
     */
    synchronized void refresh() {
        if (closed || lapsed()) {
            return;
        }
        long previous = refreshed;
        try {
            if (!leases.store().exists(name)) {
                lost = "its lease object was removed by another process, which took this one for dead";
                return;
            }
            write();
        } catch (Exception e) {
            return; // tried again at the next turn; lapsed() tells when that has been too long
        }
        long gap = System.nanoTime() - previous;
        if (gap > leases.sharing().lease().toNanos() / 2) {
            lost = "its rewrite came " + gap / 1_000_000 + " ms after the one before (lease " + leases.sharing().lease()
                    .toSeconds() + " s): this process stalled, and another may have taken it for dead meanwhile";
        }
    }

    /**
     * Throws unless the lease was rewritten within half the lease time: after that, another
     * process may soon take this one for dead and act on it (a collection may remove chunks
     * this backup names), so what the lease guards is given up.
     */
    void requireHeld() {
        synchronized (this) {
            lapsed();
        }
        String why = lost;
        if (why != null) {
            throw new RepositoryException(RepositoryException.Problem.BUSY, purpose + " in " + leases.store().describe()
                    + " was given up: its lease lapsed, " + why);
        }
    }

    /** Whether the lease is lost, marking it so when its last write is older than half the lease time. */
    private boolean lapsed() {
        long age = System.nanoTime() - refreshed;
        if (lost == null && age > leases.sharing().lease().toNanos() / 2) {
            lost = "it could not be rewritten for " + age / 1_000_000_000 + " s (lease " + leases.sharing().lease().toSeconds()
                    + " s): the store was unreachable or this process stalled";
        }
        return lost != null;
    }

    /** Stops rewriting the lease and removes it; a rewrite running meanwhile finishes first. */
    @Override
    public void close() {
        ScheduledFuture<?> task = refreshing;
        if (task != null) {
            task.cancel(false);
        }
        synchronized (this) {
            closed = true;
            try {
                leases.store().delete(name);
            } catch (IOException e) {
                // it dies on its own once its lease time has passed
            }
        }
    }
}
