package org.virtbackup.impl.policy;

import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import java.util.Optional;
import java.util.TimeZone;

import org.quartz.CronExpression;

/**
 * A policy's cron expression, read by Quartz's own parser: the one Karaf's scheduler fires it
 * with, so the next run shown and a run found missed agree with the scheduler.
 */
public final class CronSchedule {

    private final String expression;
    private final CronExpression cron;

    private CronSchedule(String expression, CronExpression cron) {
        this.expression = expression;
        this.cron = cron;
    }

    /** @throws IllegalArgumentException naming what Quartz found wrong */
    public static CronSchedule parse(String expression, ZoneId zone) {
        try {
            CronExpression cron = new CronExpression(expression);
            cron.setTimeZone(TimeZone.getTimeZone(zone));
            return new CronSchedule(expression, cron);
        } catch (ParseException e) {
            throw new IllegalArgumentException("the schedule '" + expression + "' is not a cron expression ("
                    + e.getMessage() + "); '0 0 2 * * ?' is every night at 2:00");
        }
    }

    public String expression() {
        return expression;
    }

    /** When it fires next after a moment, if ever. */
    public Optional<Instant> next(Instant after) {
        synchronized (cron) { // CronExpression keeps a calendar while it computes
            return Optional.ofNullable(cron.getNextValidTimeAfter(Date.from(after))).map(Date::toInstant);
        }
    }

    /** Whether it fired, at least once, after {@code since} and not after {@code now}. */
    public boolean firedBetween(Instant since, Instant now) {
        return next(since).filter(t -> !t.isAfter(now)).isPresent();
    }

    @Override
    public String toString() {
        return expression;
    }
}
