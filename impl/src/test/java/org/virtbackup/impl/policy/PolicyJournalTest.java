package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.DomainOutcome.Result;
import org.virtbackup.api.policy.PolicyRun;

/** What a policy remembers across a restart is read back as it was written. */
class PolicyJournalTest {

    @TempDir
    Path tmp;

    private static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");

    @Test
    void aRunCutShortIsReadBackOpenWithEachDomainsState() throws Exception {
        PolicyJournal j = PolicyJournal.open(tmp, "nightly", T0);
        UUID backup = UUID.randomUUID();
        PolicyRun open = new PolicyRun("nightly", T0.plusSeconds(60), null, "schedule", List.of(
                new DomainOutcome("web", Result.DONE, backup, 2, 1, ""),
                new DomainOutcome("db", Result.RUNNING, UUID.randomUUID(), 0, 0, ""),
                new DomainOutcome("mail", Result.FAILED, null, 0, 0, "it said: no\nsecond line = yes")));
        j.record(open);
        j.verified(backup, T0);

        PolicyJournal again = PolicyJournal.open(tmp, "nightly", T0.plusSeconds(3600));
        assertEquals(T0, again.created(), "created once, kept");
        assertEquals(Optional.of(open), again.lastRun());
        assertFalse(again.lastRun().get().over());
        assertEquals(Optional.of(T0), again.verifiedAt(backup));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("nightly.state"))));
    }

    /** A run whose start could not be written does not seem to run, nor is it resumed. */
    @Test
    void aRunThatCouldNotBeRecordedIsNotShown() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("state"));
        PolicyJournal j = PolicyJournal.open(dir, "p", T0);
        Instant started = j.newStart(T0.plusSeconds(10));
        Files.delete(dir.resolve("p.state"));
        Files.delete(dir);
        Files.createFile(dir); // the state's directory is a file now: every write fails, even as root
        PolicyRun run = new PolicyRun("p", started, null, "schedule", List.of());
        assertThrows(java.io.UncheckedIOException.class, () -> j.record(run));
        assertEquals("starting", j.openRuns().get(0).trigger(), "what is shown is what was before");
        j.abandon(started);
        assertEquals(List.of(), j.openRuns());
    }

    @Test
    void everyOpenRunIsKeptAndTheNewestRunIsTheLast() {
        PolicyJournal j = PolicyJournal.open(tmp, "p", T0);
        PolicyRun older = new PolicyRun("p", T0.plusSeconds(10), null, "schedule", List.of());
        PolicyRun newer = new PolicyRun("p", T0.plusSeconds(20), null, "schedule", List.of());
        j.record(older);
        j.record(newer);
        PolicyJournal again = PolicyJournal.open(tmp, "p", T0);
        assertEquals(List.of(older, newer), again.openRuns(), "both are finished at the next start");
        assertEquals(Optional.of(newer), again.lastRun());

        PolicyRun olderEnded = new PolicyRun("p", older.started(), T0.plusSeconds(30), "schedule", List.of());
        j.record(olderEnded);
        again = PolicyJournal.open(tmp, "p", T0);
        assertEquals(List.of(newer), again.openRuns());
        assertEquals(Optional.of(newer), again.lastRun(), "the newest run, open, not the last to end");
    }

    @Test
    void twoRunsStartedInOneMillisecondHaveTwoNames() {
        PolicyJournal j = PolicyJournal.open(tmp, "p", T0);
        Instant now = T0.plusNanos(123_456);
        Instant first = j.newStart(now);
        Instant second = j.newStart(now);
        assertEquals(T0, first);
        assertEquals(T0.plusMillis(1), second, "the journal keys runs by start: a scheduled and a manual one at once");
        j.record(new PolicyRun("p", second, T0.plusSeconds(5), "demand", List.of()));
        assertTrue(j.newStart(now).isAfter(second), "never before the last ended run either");
    }

    @Test
    void aClosedJournalWritesNothingMore() {
        PolicyJournal j = PolicyJournal.open(tmp, "p", T0);
        PolicyRun open = new PolicyRun("p", T0.plusSeconds(10), null, "schedule", List.of());
        j.record(open);
        j.close();
        j.record(new PolicyRun("p", open.started(), T0.plusSeconds(30), "schedule", List.of()));
        assertEquals(List.of(open), PolicyJournal.open(tmp, "p", T0).openRuns(), "a stopped engine's late thread");
    }

    @Test
    void verificationsOfBackupsThatAreGoneAreForgotten() {
        PolicyJournal j = PolicyJournal.open(tmp, "p", T0);
        UUID kept = UUID.randomUUID();
        UUID gone = UUID.randomUUID();
        j.verified(kept, T0);
        j.verified(gone, T0);
        j.keepVerified(Set.of(kept));
        PolicyJournal again = PolicyJournal.open(tmp, "p", T0);
        assertTrue(again.verifiedAt(kept).isPresent());
        assertTrue(again.verifiedAt(gone).isEmpty());
    }
}
