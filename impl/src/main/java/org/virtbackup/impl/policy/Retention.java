package org.virtbackup.impl.policy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Which backups a retention keeps, as Proxmox Backup Server's prune defines it: keep-last,
 * keep-hourly, keep-daily, keep-weekly (ISO weeks), keep-monthly and keep-yearly, applied in that
 * order, newest first. A rule keeps the newest backup of each of its N most recent periods; a
 * backup in a period the rule has covered already is removed, and a later rule looks only at
 * backups no earlier rule decided, and never at a period an earlier rule kept a backup of.
 * Without any rule, everything is kept. Periods are taken in the zone given.
 *
 * @param last keep-last, or -1 for no such rule (likewise below)
 */
public record Retention(int last, int hourly, int daily, int weekly, int monthly, int yearly) {

    /** What a retention decided for one backup, and which rule kept it. */
    public record Decision<T>(T backup, Instant time, boolean keep, String rule) {
    }

    /** Whether any rule is set: without one, a retention keeps everything. */
    public boolean any() {
        return last >= 0 || hourly >= 0 || daily >= 0 || weekly >= 0 || monthly >= 0 || yearly >= 0;
    }

    /** The decision for each backup, newest first. */
    public <T> List<Decision<T>> apply(List<T> backups, Function<T, Instant> time, ZoneId zone) {
        List<T> newest = new ArrayList<>(backups);
        newest.sort(Comparator.comparing(time).reversed());
        Map<T, Decision<T>> marks = new LinkedHashMap<>();
        if (!any()) {
            newest.forEach(b -> marks.put(b, new Decision<>(b, time.apply(b), true, "no rule")));
        } else {
            mark(marks, newest, time, zone, last, "keep-last", (t, z) -> t.toString());
            mark(marks, newest, time, zone, hourly, "keep-hourly", (t, z) -> at(t, z).toLocalDate() + "T" + at(t, z).getHour());
            mark(marks, newest, time, zone, daily, "keep-daily", (t, z) -> at(t, z).toLocalDate().toString());
            mark(marks, newest, time, zone, weekly, "keep-weekly", (t, z) -> at(t, z).get(IsoFields.WEEK_BASED_YEAR) + "W"
                    + at(t, z).get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
            mark(marks, newest, time, zone, monthly, "keep-monthly", (t, z) -> at(t, z).getYear() + "-" + at(t, z).getMonthValue());
            mark(marks, newest, time, zone, yearly, "keep-yearly", (t, z) -> Integer.toString(at(t, z).getYear()));
        }
        List<Decision<T>> out = new ArrayList<>();
        for (T b : newest) {
            out.add(marks.getOrDefault(b, new Decision<>(b, time.apply(b), false, "no rule keeps it")));
        }
        return out;
    }

    private interface Period {
        String of(Instant t, ZoneId zone);
    }

    private static ZonedDateTime at(Instant t, ZoneId zone) {
        return t.atZone(zone);
    }

    /** One rule over the backups no earlier rule decided; periods an earlier rule kept a backup of count as covered. */
    private static <T> void mark(Map<T, Decision<T>> marks, List<T> newest, Function<T, Instant> time, ZoneId zone, int keep,
            String rule, Period period) {
        if (keep < 0) {
            return;
        }
        Set<String> covered = new HashSet<>();
        for (T b : newest) {
            Decision<T> d = marks.get(b);
            if (d != null && d.keep()) {
                covered.add(period.of(time.apply(b), zone));
            }
        }
        Set<String> kept = new HashSet<>();
        for (T b : newest) {
            if (marks.containsKey(b)) {
                continue;
            }
            String p = period.of(time.apply(b), zone);
            if (covered.contains(p)) {
                continue;
            }
            if (!kept.contains(p)) {
                if (kept.size() >= keep) {
                    break;
                }
                kept.add(p);
                // keep-last's period is the backup itself: its rank says more than its time.
                String which = rule.equals("keep-last") ? "" : p + ", ";
                marks.put(b, new Decision<>(b, time.apply(b), true, rule + " (" + which + kept.size() + " of " + keep + ")"));
            } else {
                marks.put(b, new Decision<>(b, time.apply(b), false, rule + " keeps a newer backup of " + p));
            }
        }
    }
}
