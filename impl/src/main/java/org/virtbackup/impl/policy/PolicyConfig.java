package org.virtbackup.impl.policy;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One policy: a factory configuration {@value #FACTORY_PID} per policy
 * ({@code etc/org.virtbackup.policy-NAME.cfg}).
 */
@ObjectClassDefinition(id = PolicyConfig.FACTORY_PID, name = "virt-backup policy",
        description = "Scheduled backups of some domains, their retention and their verification")
public @interface PolicyConfig {

    String FACTORY_PID = "org.virtbackup.policy";

    @AttributeDefinition(name = "Name", description = "The policy's name, unique: letters, digits, '.', '_', '-'")
    String name();

    @AttributeDefinition(name = "Domains",
            description = "Names or globs ('web-*', '*' for every domain) of the domains it backs up")
    String[] domains();

    @AttributeDefinition(name = "Schedule",
            description = "When it runs: a cron expression as Karaf's scheduler (Quartz) reads it, seconds first "
                    + "('0 0 2 * * ?' is every night at 2:00); empty: only on demand (backup:policy-run)")
    String schedule() default "";

    @AttributeDefinition(name = "Catch up",
            description = "At start, run once if the schedule fired while the service was down (never more than once)")
    boolean catch_up() default false;

    @AttributeDefinition(name = "Target",
            description = "Where the backups go: a repository URL (file:///DIR, s3://BUCKET/PREFIX) or a directory's "
                    + "absolute path, set as each domain's default target; empty: each domain's own default target")
    String target() default "";

    @AttributeDefinition(name = "Full every N backups",
            description = "Backups are incremental; every Nth of a domain is full (1: all full); 0: no such rule")
    int full_every_backups() default 0;

    @AttributeDefinition(name = "Full every N days",
            description = "A domain's backup is full when its latest full one is N days old or older; 0: no such rule")
    int full_every_days() default 0;

    @AttributeDefinition(name = "Keep last", description = "Keep the N newest backups; 0: no such rule")
    int keep_last() default 0;

    @AttributeDefinition(name = "Keep hourly", description = "Keep the newest backup of each of the N latest hours "
            + "that have one; 0: no such rule")
    int keep_hourly() default 0;

    @AttributeDefinition(name = "Keep daily", description = "The same per day; 0: no such rule")
    int keep_daily() default 0;

    @AttributeDefinition(name = "Keep weekly", description = "The same per ISO week (Monday to Sunday); 0: no such rule")
    int keep_weekly() default 0;

    @AttributeDefinition(name = "Keep monthly", description = "The same per month; 0: no such rule")
    int keep_monthly() default 0;

    @AttributeDefinition(name = "Keep yearly", description = "The same per year; 0: no such rule")
    int keep_yearly() default 0;

    @AttributeDefinition(name = "Verify after N days",
            description = "After each domain's backup, verify its repository backups not verified (by this policy) in "
                    + "the last N days, new ones included; 0: no verification")
    int verify_after_days() default 0;

    @AttributeDefinition(name = "Domains at once",
            description = "How many domains a run backs up at once; the others wait their turn")
    int max_concurrent() default 2;
}
