package org.virtbackup.impl.policy;

import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.virtbackup.api.BackupTarget;
import org.virtbackup.impl.xml.InputLimits;

/**
 * A policy's configuration, checked: every value is usable, or {@link #of} says which is not.
 *
 * @param schedule {@code null} when it runs only on demand
 * @param target {@code null} to use each domain's own default target
 */
public record Policy(String name, List<String> domains, CronSchedule schedule, boolean catchUp, BackupTarget target,
        FullRule fullRule, Retention retention, int verifyAfterDays, int maxConcurrent) {

    /** Globs as the JDK reads them for file names; a domain name is one path element (libvirt forbids '/'). */
    private static final FileSystem FILES = FileSystems.getDefault();

    public Policy {
        domains = List.copyOf(domains);
    }

    /** @throws IllegalArgumentException naming the attribute that is wrong, and why */
    public static Policy of(PolicyConfig config, ZoneId zone) {
        String name = config.name() == null ? "" : config.name().trim();
        if (!InputLimits.POLICY_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + name + "': a policy's name is 1 to 64 letters, digits, '.', "
                    + "'_' or '-', the first a letter or digit");
        }
        List<String> domains = new ArrayList<>();
        // A .cfg file gives one string: names are separated by commas or blanks there too.
        for (String d : config.domains() == null ? new String[0] : config.domains()) {
            for (String one : d.split("[,\\s]+")) {
                if (!one.isEmpty()) {
                    domains.add(one);
                }
            }
        }
        if (domains.isEmpty()) {
            throw new IllegalArgumentException("domains: name at least one domain, or a glob ('*' for all)");
        }
        domains.forEach(Policy::matcher); // a malformed glob fails here, not at the first run
        String cron = config.schedule() == null ? "" : config.schedule().trim();
        CronSchedule schedule = cron.isEmpty() ? null : CronSchedule.parse(cron, zone);
        if (config.catch_up() && schedule == null) {
            throw new IllegalArgumentException("catch.up: a policy without a schedule has no run to catch up");
        }
        return new Policy(name, domains, schedule, config.catch_up(), target(config.target()),
                new FullRule(atLeastZero("full.every.backups", config.full_every_backups()),
                        atLeastZero("full.every.days", config.full_every_days())),
                new Retention(rule("keep.last", config.keep_last()), rule("keep.hourly", config.keep_hourly()),
                        rule("keep.daily", config.keep_daily()), rule("keep.weekly", config.keep_weekly()),
                        rule("keep.monthly", config.keep_monthly()), rule("keep.yearly", config.keep_yearly())),
                atLeastZero("verify.after.days", config.verify_after_days()),
                atLeastOne("max.concurrent", config.max_concurrent()));
    }

    /**
     * What "N days" is short of N times 24 hours: a daily run reaches a domain a few minutes
     * earlier than the day before (its place in the queue), and a spring-forward night has 23
     * hours. Without it, "every 7 days" would often be every 8.
     */
    static final Duration DAY_SLACK = Duration.ofHours(2);

    /** The description of the backups a policy makes: how its retention knows its own. */
    public static String description(String policy) {
        return InputLimits.POLICY_PREFIX + policy;
    }

    /** Whether a domain of this name is one of the policy's. */
    public boolean covers(String domain) {
        return domains.stream().anyMatch(g -> matcher(g).matches(FILES.getPath(domain)));
    }

    public Optional<CronSchedule> cron() {
        return Optional.ofNullable(schedule);
    }

    private static PathMatcher matcher(String glob) {
        if (glob.contains("/")) {
            throw new IllegalArgumentException("domains: '" + glob + "' holds a '/', which no domain name does");
        }
        try {
            return FILES.getPathMatcher("glob:" + glob);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("domains: '" + glob + "' is not a glob: " + e.getMessage());
        }
    }

    private static BackupTarget target(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            return null;
        }
        if (t.startsWith("file:") || t.startsWith("s3:")) {
            return BackupTarget.repository(t);
        }
        if (t.startsWith("/")) {
            return BackupTarget.directory(t);
        }
        throw new IllegalArgumentException("target '" + t + "': give a repository URL (file:///DIR, s3://BUCKET/PREFIX) "
                + "or a directory's absolute path");
    }

    private static int atLeastZero(String key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(key + ": " + value + " is negative; 0 turns the rule off");
        }
        return value;
    }

    private static int atLeastOne(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + ": " + value + " is less than 1");
        }
        return value;
    }

    /** Configured 0 (off) is the retention's -1 (no rule). */
    private static int rule(String key, int value) {
        return atLeastZero(key, value) == 0 ? -1 : value;
    }
}
