package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Next and missed runs, in the zone the schedule is read in. */
class CronScheduleTest {

    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    @Test
    void nextRunIsTheNextFiringInItsZone() {
        CronSchedule nightly = CronSchedule.parse("0 0 2 * * ?", PARIS);
        // 2026-12-01 10:00 in Paris (UTC+1): next 2:00 there is 01:00 UTC the next day.
        assertEquals(Optional.of(Instant.parse("2026-12-02T01:00:00Z")), nightly.next(Instant.parse("2026-12-01T09:00:00Z")));
    }

    @Test
    void aRunWasMissedWhenTheScheduleFiredInBetween() {
        CronSchedule nightly = CronSchedule.parse("0 0 2 * * ?", PARIS);
        Instant lastRun = Instant.parse("2026-12-01T01:00:05Z"); // 2:00:05 in Paris
        assertFalse(nightly.firedBetween(lastRun, Instant.parse("2026-12-01T23:00:00Z")));
        assertTrue(nightly.firedBetween(lastRun, Instant.parse("2026-12-02T01:00:00Z")), "the firing itself counts");
        assertTrue(nightly.firedBetween(lastRun, Instant.parse("2026-12-05T12:00:00Z")), "several missed: once is enough");
    }

    @Test
    void aScheduleThatNeverFiresAgainHasNoNextRun() {
        CronSchedule once = CronSchedule.parse("0 0 12 1 1 ? 2020", PARIS);
        assertEquals(Optional.empty(), once.next(Instant.parse("2026-12-01T00:00:00Z")));
    }
}
