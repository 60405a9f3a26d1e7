package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The retention rules against the cases of Proxmox Backup Server's own prune tests
 * (proxmox-backup, tests/prune.rs): the same backups and options give the same kept (or
 * removed) set, listed oldest first as there.
 */
class RetentionTest {

    private static final int NO = -1;

    /** 4 backups: 2019-12-02, -03, and two on -04. */
    private static final List<String> SIMPLE = List.of("2019-12-02T11:59:15Z", "2019-12-03T11:59:15Z",
            "2019-12-04T11:59:15Z", "2019-12-04T12:59:15Z");

    private static final List<String> SIMPLE2 = List.of("2018-11-15T11:59:15Z", "2019-11-15T11:59:15Z",
            "2019-11-21T11:59:15Z", "2019-11-22T11:59:15Z", "2019-11-29T11:59:15Z", "2019-12-01T11:59:15Z",
            "2019-12-02T11:59:15Z", "2019-12-03T11:59:15Z", "2019-12-04T11:59:15Z");

    private static final List<String> HOURLY = List.of("2019-11-15T09:39:15Z", "2019-11-15T10:49:15Z",
            "2019-11-15T10:59:15Z", "2019-11-15T11:39:15Z", "2019-11-15T11:49:15Z", "2019-11-15T11:59:15Z");

    @Test
    void keepLast() {
        assertEquals(List.of(), removed(SIMPLE, new Retention(4, NO, NO, NO, NO, NO)));
        assertEquals(List.of("2019-12-02T11:59:15Z"), removed(SIMPLE, new Retention(3, NO, NO, NO, NO, NO)));
        assertEquals(SIMPLE.subList(0, 2), removed(SIMPLE, new Retention(2, NO, NO, NO, NO, NO)));
        assertEquals(SIMPLE.subList(0, 3), removed(SIMPLE, new Retention(1, NO, NO, NO, NO, NO)));
        assertEquals(SIMPLE, removed(SIMPLE, new Retention(0, NO, NO, NO, NO, NO)));
    }

    @Test
    void keepDailyAndMixed() {
        assertEquals(List.of(), removed(SIMPLE, new Retention(2, NO, 2, NO, NO, NO)));
        assertEquals(List.of("2019-12-04T11:59:15Z"), removed(SIMPLE, new Retention(NO, NO, 3, NO, NO, NO)));
        assertEquals(List.of("2019-12-02T11:59:15Z", "2019-12-04T11:59:15Z"),
                removed(SIMPLE, new Retention(NO, NO, 2, NO, NO, NO)));
    }

    @Test
    void oneWeekMonthOrYearKeepsOneBackup() {
        List<String> allButNewest = SIMPLE.subList(0, 3);
        assertEquals(allButNewest, removed(SIMPLE, new Retention(NO, NO, NO, 5, NO, NO)));
        assertEquals(allButNewest, removed(SIMPLE, new Retention(NO, NO, 1, 5, NO, NO)));
        assertEquals(allButNewest, removed(SIMPLE, new Retention(NO, NO, NO, NO, 6, NO)));
        assertEquals(allButNewest, removed(SIMPLE, new Retention(NO, NO, NO, NO, NO, 7)));
        assertEquals(allButNewest, removed(SIMPLE, new Retention(NO, NO, NO, 5, 6, 7)));
    }

    @Test
    void laterRulesLookOnlyAtOlderPeriods() {
        assertEquals(List.of("2019-12-04T11:59:15Z"), kept(SIMPLE2, new Retention(NO, NO, 1, NO, NO, NO)));
        assertEquals(List.of("2019-12-03T11:59:15Z", "2019-12-04T11:59:15Z"),
                kept(SIMPLE2, new Retention(1, NO, 1, NO, NO, NO)));
        assertEquals(List.of("2019-12-01T11:59:15Z", "2019-12-04T11:59:15Z"),
                kept(SIMPLE2, new Retention(NO, NO, 1, 1, NO, NO)));
        assertEquals(List.of("2019-11-22T11:59:15Z", "2019-12-01T11:59:15Z", "2019-12-04T11:59:15Z"),
                kept(SIMPLE2, new Retention(NO, NO, 1, 1, 1, NO)));
        assertEquals(List.of("2018-11-15T11:59:15Z", "2019-12-04T11:59:15Z"),
                kept(SIMPLE2, new Retention(NO, NO, NO, NO, 1, 1)));
        // The README's example: each rule in turn, then a yearly one over the years left.
        assertEquals(List.of("2018-11-15T11:59:15Z", "2019-11-22T11:59:15Z", "2019-12-01T11:59:15Z", "2019-12-04T11:59:15Z"),
                kept(SIMPLE2, new Retention(NO, NO, 1, 1, 1, 1)));
    }

    @Test
    void keepHourly() {
        assertEquals(List.of("2019-11-15T10:49:15Z", "2019-11-15T11:39:15Z", "2019-11-15T11:49:15Z"),
                removed(HOURLY, new Retention(NO, 3, NO, NO, NO, NO)));
        assertEquals(List.of("2019-11-15T10:59:15Z", "2019-11-15T11:59:15Z"),
                kept(HOURLY, new Retention(NO, 2, NO, NO, NO, NO)));
    }

    @Test
    void withoutARuleEverythingStays() {
        assertEquals(SIMPLE, kept(SIMPLE, new Retention(NO, NO, NO, NO, NO, NO)));
    }

    private static List<String> kept(List<String> times, Retention r) {
        return select(times, r, true);
    }

    private static List<String> removed(List<String> times, Retention r) {
        return select(times, r, false);
    }

    private static List<String> select(List<String> times, Retention r, boolean keep) {
        return r.apply(times, Instant::parse, ZoneOffset.UTC).stream().filter(d -> d.keep() == keep)
                .map(Retention.Decision::backup).sorted().toList();
    }
}
