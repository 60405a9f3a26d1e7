package org.virtbackup.impl.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.virtbackup.impl.jobs.DomainLocks.Access.EDIT;
import static org.virtbackup.impl.jobs.DomainLocks.Access.READ;
import static org.virtbackup.impl.jobs.DomainLocks.Access.START;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;

class DomainLocksTest {

    private final DomainLocks locks = new DomainLocks().waiting(Duration.ofMillis(100));
    private final DomainRef vm = new DomainRef("vm", UUID.randomUUID());
    private final DomainRef other = new DomainRef("other", UUID.randomUUID());

    @Test
    void anEditExcludesEverythingElseOnItsDomainAndIsNamedToWhoeverIsRefused() throws Exception {
        try (DomainLocks.Held merge = locks.hold(vm, EDIT, "the merge of backup 1")) {
            for (DomainLocks.Access access : DomainLocks.Access.values()) {
                BackupException e = inAnotherThread(() -> assertThrows(BackupException.class,
                        () -> locks.hold(vm, access, "the deletion of backup 2")));
                assertEquals(ErrorCode.DOMAIN_BUSY, e.code());
                assertTrue(e.getMessage().startsWith("domain vm is busy with the merge of backup 1 (since "), e.getMessage());
            }
            inAnotherThread(() -> granted(other, EDIT, "a restore")); // another domain is free
        }
        inAnotherThread(() -> granted(vm, EDIT, "the deletion of backup 2"));
    }

    @Test
    void startsTakeTurnsBesideReadsAndBothKeepEditsOut() throws Exception {
        try (DomainLocks.Held restore = locks.hold(vm, READ, "the restore of backup 1")) {
            AutoCloseable start = heldInAnotherThread(START, "the start of backup 2");
            AutoCloseable read = heldInAnotherThread(READ, "the restore of backup 3");
            BackupException second = inAnotherThread(() -> assertThrows(BackupException.class,
                    () -> locks.hold(vm, START, "the start of backup 4")));
            assertTrue(second.getMessage().contains("the start of backup 2"), second.getMessage());
            BackupException edit = inAnotherThread(() -> assertThrows(BackupException.class,
                    () -> locks.hold(vm, EDIT, "the merge of backup 1")));
            assertTrue(edit.getMessage().contains("the restore of backup 1") && edit.getMessage().contains("the restore of backup 3")
                    && edit.getMessage().contains("the start of backup 2"), edit.getMessage());
            start.close();
            read.close();
        }
        inAnotherThread(() -> granted(vm, EDIT, "the merge of backup 1"));
    }

    @Test
    void aNestedEditKeepsTheOuterOperationsNameAndReleasesOnlyWithIt() throws Exception {
        DomainLocks sameLocksLongerWait = locks.waiting(Duration.ofSeconds(5));
        try (DomainLocks.Held outer = sameLocksLongerWait.hold(vm, EDIT, "the undefinition of the domain")) {
            locks.hold(vm, EDIT, "the deletion of backup 1").close();
            BackupException e = inAnotherThread(() -> assertThrows(BackupException.class,
                    () -> locks.hold(vm, READ, "a restore")));
            assertTrue(e.getMessage().contains("busy with the undefinition of the domain (since"), e.getMessage());
            assertTrue(!e.getMessage().contains("deletion"), e.getMessage());
        }
        inAnotherThread(() -> granted(vm, READ, "a restore"));
    }

    /** Takes the domain and lets it go at once. */
    private boolean granted(DomainRef domain, DomainLocks.Access access, String operation) {
        locks.hold(domain, access, operation).close();
        return true;
    }

    /** Holds the domain in a thread of its own until closed. */
    private AutoCloseable heldInAnotherThread(DomainLocks.Access access, String operation) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (DomainLocks.Held h = locks.hold(vm, access, operation)) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        assertTrue(held.await(5, TimeUnit.SECONDS), operation + " was not granted");
        return () -> {
            release.countDown();
            t.join();
        };
    }

    /** Locks belong to threads: each attempt runs on a thread of its own, as another operator's call would. */
    private static <T> T inAnotherThread(Supplier<T> call) throws Exception {
        return CompletableFuture.supplyAsync(call, r -> new Thread(r).start()).get(5, TimeUnit.SECONDS);
    }
}
