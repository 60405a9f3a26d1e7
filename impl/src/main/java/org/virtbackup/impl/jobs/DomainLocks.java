package org.virtbackup.impl.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;

/**
 * The locks of each domain, held by every operation that changes the domain's backups or disks
 * for as long as it changes them, so two never interleave. An operation asks for the access it
 * needs ({@link Access}); one that cannot have it waits a bounded time, then is refused with
 * {@link ErrorCode#DOMAIN_BUSY} naming what holds the domain.
 *
 * <p>One instance for the bundle (a component of its own): the locks outlive a reconfiguration
 * of the service, whose old instance may still be finishing an operation.
 */
@Component(service = DomainLocks.class)
public final class DomainLocks {

    /** What an operation does to a domain's backups and disks. */
    public enum Access {
        /** Changes the tree or the disks (delete, merge, undefine, restore over the disks): alone. */
        EDIT,
        /** Adds a backup to the tree: one at a time, beside restores that read the tree. */
        START,
        /** Reads backups whole (a restore to files or a new domain): beside starts and other reads. */
        READ
    }

    private final Map<UUID, Slot> slots;
    private final Duration wait;

    @Activate
    public DomainLocks() {
        this(new ConcurrentHashMap<>(), Duration.ofSeconds(30));
    }

    private DomainLocks(Map<UUID, Slot> slots, Duration wait) {
        this.slots = slots;
        this.wait = wait;
    }

    /** The same locks, for operations that wait this long before they are refused. */
    public DomainLocks waiting(Duration wait) {
        return new DomainLocks(slots, wait);
    }

    /**
     * Takes the domain for an operation, described for whoever is refused meanwhile ("the merge
     * of backup …"); release it by closing what this returns. Reentrant: an undefine that
     * deletes the domain's backups edits it once.
     */
    public Held hold(DomainRef domain, Access access, String operation) {
        Slot slot = slots.computeIfAbsent(domain.uuid(), u -> new Slot());
        long deadline = System.nanoTime() + wait.toNanos();
        Lock first = access == Access.START ? slot.start
                : access == Access.EDIT ? slot.tree.writeLock() : slot.tree.readLock();
        Lock second = access == Access.START ? slot.tree.readLock() : null;
        acquire(first, deadline, domain, slot);
        if (second != null) {
            try {
                acquire(second, deadline, domain, slot);
            } catch (RuntimeException e) {
                first.unlock();
                throw e;
            }
        }
        boolean nested = access == Access.EDIT && slot.tree.getWriteHoldCount() > 1;
        Holder holder = nested ? null : new Holder(operation, Instant.now());
        if (holder != null) {
            slot.holders.add(holder);
        }
        return () -> {
            if (holder != null) {
                slot.holders.remove(holder);
            }
            if (second != null) {
                second.unlock();
            }
            first.unlock();
        };
    }

    private void acquire(Lock lock, long deadline, DomainRef domain, Slot slot) {
        boolean locked;
        try {
            locked = lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "interrupted while waiting for domain " + domain.name());
        }
        if (!locked) {
            String busy = slot.holders.stream().map(h -> h.operation() + " (since " + h.since() + ")")
                    .collect(Collectors.joining(", "));
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "domain " + domain.name() + " is busy with "
                    + (busy.isEmpty() ? "another operation" : busy) + "; waited " + wait.toSeconds()
                    + " s, try again when it has ended");
        }
    }

    /** A domain taken; closing it releases it. */
    @FunctionalInterface
    public interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Identity matters: two holders may describe themselves alike. */
    private static final class Holder {
        private final String operation;
        private final Instant since;

        Holder(String operation, Instant since) {
            this.operation = operation;
            this.since = since;
        }

        String operation() {
            return operation;
        }

        Instant since() {
            return since;
        }
    }

    private static final class Slot {
        final ReentrantReadWriteLock tree = new ReentrantReadWriteLock();
        final ReentrantLock start = new ReentrantLock();
        final Set<Holder> holders = ConcurrentHashMap.newKeySet();
    }
}
