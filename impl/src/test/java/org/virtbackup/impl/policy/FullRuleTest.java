package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;

/** When a policy's next backup is full. */
class FullRuleTest {

    private static final Instant NOW = Instant.parse("2026-12-01T02:00:00Z");
    private static final DomainRef DOMAIN = new DomainRef("web", UUID.randomUUID());
    private static final Set<CreateFlag> FULL = Set.of(CreateFlag.FORCE_FULL);
    private static final Set<CreateFlag> INCREMENTAL = Set.of(CreateFlag.INCREMENTAL);

    private static Backup backup(BackupKind kind, int daysAgo, JobState state) {
        return new Backup(UUID.randomUUID(), DOMAIN, "", NOW.minus(Duration.ofDays(daysAgo)), NOW, null, kind,
                BackupMode.MANAGED, state, null, "", List.of());
    }

    /** A full backup {@code days} days ago, then one incremental a day. */
    private static List<Backup> history(int days) {
        List<Backup> h = new ArrayList<>();
        h.add(backup(BackupKind.FULL, days, JobState.COMPLETED));
        for (int d = days - 1; d >= 1; d--) {
            h.add(backup(BackupKind.INCREMENTAL, d, JobState.COMPLETED));
        }
        return h;
    }

    /** A daily run reaches the domain a little earlier than a week before: the week is up all the same. */
    @Test
    void aWeekIsUpAtTheRunOfItsSeventhDayEvenAFewMinutesShort() {
        List<Backup> h = history(7);
        Instant earlier = NOW.minus(Duration.ofMinutes(5));
        assertEquals(FULL, new FullRule(0, 7).flags(h, earlier));
        assertEquals(INCREMENTAL, new FullRule(0, 7).flags(h, NOW.minus(Duration.ofHours(3))), "but not a run before");
    }

    @Test
    void theFirstBackupIsFull() {
        assertEquals(FULL, new FullRule(0, 0).flags(List.of(), NOW));
        assertEquals(FULL, new FullRule(0, 0).flags(List.of(backup(BackupKind.FULL, 1, JobState.FAILED)), NOW),
                "a failed full does not count");
    }

    @Test
    void withoutRulesEveryLaterBackupIsIncremental() {
        assertEquals(INCREMENTAL, new FullRule(0, 0).flags(history(100), NOW));
    }

    @Test
    void everySeventhBackupIsFull() {
        FullRule rule = new FullRule(7, 0);
        assertEquals(INCREMENTAL, rule.flags(history(6), NOW), "a full and 5 incrementals: the 7th is not due yet");
        assertEquals(FULL, rule.flags(history(7), NOW), "a full and 6 incrementals: the next is the 7th");
        assertEquals(FULL, new FullRule(1, 0).flags(history(3), NOW), "1: every backup is full");
    }

    @Test
    void aFullIsDueWhenTheLatestFullIsOldEnough() {
        FullRule rule = new FullRule(0, 30);
        assertEquals(INCREMENTAL, rule.flags(history(29), NOW));
        assertEquals(FULL, rule.flags(history(30), NOW));
    }
}
