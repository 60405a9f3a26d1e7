package org.virtbackup.impl.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.JobState;

/**
 * When a policy's backup is full rather than incremental: every Nth backup of a domain, or when
 * its latest full one is N days old (0 turns a rule off). Only the domain's completed managed
 * backups count.
 */
public record FullRule(int everyBackups, int everyDays) {

    /** The create flags of the domain's next backup, given the backups it has. */
    public Set<CreateFlag> flags(List<Backup> backups, Instant now) {
        List<Backup> done = backups.stream().filter(b -> b.state() == JobState.COMPLETED && b.mode() == BackupMode.MANAGED)
                .sorted(Comparator.comparing(Backup::creationTime).reversed()).toList();
        int sinceFull = 0;
        Backup lastFull = null;
        for (Backup b : done) {
            if (b.kind() == BackupKind.FULL) {
                lastFull = b;
                break;
            }
            sinceFull++;
        }
        if (lastFull == null) {
            return Set.of(CreateFlag.FORCE_FULL);
        }
        boolean countDue = everyBackups > 0 && sinceFull + 1 >= everyBackups;
        boolean ageDue = everyDays > 0
                && !lastFull.creationTime().plus(Duration.ofDays(everyDays)).minus(Policy.DAY_SLACK).isAfter(now);
        return countDue || ageDue ? Set.of(CreateFlag.FORCE_FULL) : Set.of(CreateFlag.INCREMENTAL);
    }
}
