package org.virtbackup.impl.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.stream.Collectors;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.api.VerifyResult;

/**
 * What a run verifies after a domain's backup: its completed repository backups that the policy
 * has not verified in the last {@code verify.after.days}, new ones included. When each was
 * verified is kept in the policy's journal; those of backups gone are forgotten, once a run.
 */
final class DueVerification {

    private final BackupService backups;
    private final PolicyJournal journal;
    private final int afterDays;
    private final Clock clock;
    private boolean forgotten;

    DueVerification(BackupService backups, PolicyJournal journal, int afterDays, Clock clock) {
        this.backups = backups;
        this.journal = journal;
        this.afterDays = afterDays;
        this.clock = clock;
    }

    /**
     * Verifies what is due of the domain's backups.
     *
     * @param verified told how many are verified so far, after each
     * @return what is damaged, empty when nothing is
     */
    String verify(DomainRef domain, IntConsumer verified) throws InterruptedException {
        if (afterDays == 0) {
            return "";
        }
        forgetGone();
        Instant now = clock.instant();
        Instant due = now.minus(Duration.ofDays(afterDays)).plus(Policy.DAY_SLACK);
        List<Backup> repositoryBackups = backups.list(domain.uuid().toString(), Set.of()).stream()
                .filter(b -> b.state() == JobState.COMPLETED && b.inRepository()).toList();
        int count = 0;
        List<String> damaged = new ArrayList<>();
        for (Backup b : repositoryBackups) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (journal.verifiedAt(b.uuid()).filter(t -> t.isAfter(due)).isPresent()) {
                continue;
            }
            VerifyResult r = backups.verify(b.uuid());
            if (r.whole()) {
                journal.verified(b.uuid(), now); // a damaged one is verified, and reported, at every run until repaired
            }
            verified.accept(++count);
            if (!r.whole()) {
                damaged.add("backup " + b.uuid() + " is damaged (" + r.damaged().size() + " chunks)");
            }
        }
        return String.join("; ", damaged);
    }

    private synchronized void forgetGone() {
        if (!forgotten) {
            journal.keepVerified(backups.list(null, Set.of()).stream().map(Backup::uuid).collect(Collectors.toSet()));
            forgotten = true;
        }
    }
}
