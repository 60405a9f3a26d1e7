package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.policy.PruneDecision;

/** Applying a prune plan: what counts as removed, and what as a failure. */
class PrunerTest {

    private static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");

    @Test
    void withoutARuleNothingIsPlannedForRemovalNotEvenAFailedBackup() {
        DomainRef db = new DomainRef("db", UUID.randomUUID());
        List<Backup> backups = List.of(
                new Backup(UUID.randomUUID(), db, "policy p", T0, T0, null, BackupKind.FULL, BackupMode.MANAGED,
                        JobState.FAILED, null, "it failed", List.of()),
                new Backup(UUID.randomUUID(), db, "policy p", T0.plusSeconds(60), T0, null, BackupKind.FULL,
                        BackupMode.MANAGED, JobState.COMPLETED, null, "", List.of()));
        BackupService service = (BackupService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BackupService.class}, (proxy, method, args) -> backups);
        Pruner pruner = new Pruner(service, ZoneOffset.UTC);
        assertTrue(pruner.plan(db, new Retention(-1, -1, -1, -1, -1, -1), "p").stream().allMatch(PruneDecision::keep));
        assertEquals(1, pruner.plan(db, new Retention(5, -1, -1, -1, -1, -1), "p").stream().filter(d -> !d.keep()).count(),
                "with a rule, the failed one older than the newest completed goes");
    }

    @Test
    void aBackupAnotherPruneRemovedFirstIsNoFailureAndTheRestGoOn() throws Exception {
        UUID takenMeanwhile = UUID.randomUUID();
        UUID refused = UUID.randomUUID();
        UUID pruned = UUID.randomUUID();
        UUID parentMissing = UUID.randomUUID();
        List<UUID> deleted = new ArrayList<>();
        List<UUID> gone = new ArrayList<>();
        BackupService service = (BackupService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BackupService.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "lookup" -> gone.contains(args[0]) ? Optional.empty() : Optional.of(new Backup((UUID) args[0], new DomainRef("db", UUID.randomUUID()),
                            "policy p", T0, T0, null, BackupKind.FULL, BackupMode.MANAGED, JobState.COMPLETED, null, "",
                            List.of()));
                    case "delete" -> {
                        if (args[0].equals(takenMeanwhile)) {
                            gone.add(takenMeanwhile); // another prune removed it first
                            throw new BackupException(ErrorCode.NO_BACKUP, "no backup with UUID " + args[0]);
                        }
                        if (args[0].equals(parentMissing)) { // the merge's parent is not in the catalogue
                            throw new BackupException(ErrorCode.NO_BACKUP, "no backup with UUID " + UUID.randomUUID());
                        }
                        if (args[0].equals(refused)) {
                            throw new BackupException(ErrorCode.HAS_CHILDREN, "a child is running");
                        }
                        deleted.add((UUID) args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        Pruner.Applied applied = new Pruner(service, ZoneOffset.UTC).apply(List.of(
                new PruneDecision(takenMeanwhile, "db", T0, false, "keep-last"),
                new PruneDecision(pruned, "db", T0, false, "keep-last")));
        assertNull(applied.failure(), "gone already is what a prune wants");
        assertEquals(1, applied.removed());
        assertEquals(List.of(pruned), deleted);

        Pruner.Applied failing = new Pruner(service, ZoneOffset.UTC).apply(List.of(
                new PruneDecision(refused, "db", T0, false, "keep-last")));
        assertTrue(failing.failure().getMessage().contains("a child is running"));
        Pruner.Applied stays = new Pruner(service, ZoneOffset.UTC).apply(List.of(
                new PruneDecision(parentMissing, "db", T0, false, "keep-last")));
        assertTrue(stays.failure() != null, "NO_BACKUP about another backup, this one still there: a failure");
    }
}
