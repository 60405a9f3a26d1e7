package org.virtbackup.impl.repository;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The periodic listing of the repositories keeps going whatever one round threw. */
class RepositoryRefreshTest {

    @Test
    void aRoundThatThrowsAnErrorDoesNotEndTheRefreshes() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        CountDownLatch third = new CountDownLatch(3);
        Runnable listAgain = () -> {
            int n = rounds.incrementAndGet();
            third.countDown();
            if (n == 1) {
                throw new NoClassDefFoundError("org/virtbackup/repository/Repository");
            }
            if (n == 2) {
                throw new IllegalStateException("s3 away");
            }
        };
        try (RepositoryRefresh refresh = new RepositoryRefresh(listAgain, Duration.ofMillis(10))) {
            refresh.start();
            assertTrue(third.await(10, TimeUnit.SECONDS), "rounds after the failing ones: " + rounds.get());
        }
    }
}
