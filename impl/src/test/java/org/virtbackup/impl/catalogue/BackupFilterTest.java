package org.virtbackup.impl.catalogue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;

class BackupFilterTest {

    private final DomainRef a = new DomainRef("a", UUID.randomUUID());
    private final DomainRef b = new DomainRef("b", UUID.randomUUID());

    private Backup backup(DomainRef d, long t, UUID parent, BackupMode mode, JobState state) {
        return new Backup(UUID.randomUUID(), d, "", Instant.ofEpochSecond(t), null, parent,
                parent == null ? BackupKind.FULL : BackupKind.INCREMENTAL, mode, state, null, "", List.of());
    }

    @Test
    void flagsOfAGroupAreOredAndGroupsAnded() {
        Backup fullA = backup(a, 1, null, BackupMode.MANAGED, JobState.COMPLETED);
        Backup incA = backup(a, 2, fullA.uuid(), BackupMode.MANAGED, JobState.COMPLETED);
        Backup unmanagedA = backup(a, 3, null, BackupMode.UNMANAGED, JobState.RUNNING);
        Backup fullB = backup(b, 4, null, BackupMode.MANAGED, JobState.RUNNING);
        List<Backup> all = List.of(fullA, incA, unmanagedA, fullB);

        assertEquals(all, BackupFilter.apply(all, all, Set.of()));
        assertEquals(List.of(fullA, unmanagedA, fullB), BackupFilter.apply(all, all, Set.of(ListFlag.FULL)));
        assertEquals(all, BackupFilter.apply(all, all, Set.of(ListFlag.FULL, ListFlag.INCREMENTAL)));
        assertEquals(List.of(fullA, fullB), BackupFilter.apply(all, all, Set.of(ListFlag.FULL, ListFlag.MANAGED)));
        assertEquals(List.of(unmanagedA, fullB), BackupFilter.apply(all, all, Set.of(ListFlag.ACTIVE)));
        assertEquals(List.of(incA, unmanagedA, fullB), BackupFilter.apply(all, all, Set.of(ListFlag.LEAVES)));
        assertEquals(List.of(fullA, unmanagedA, fullB), BackupFilter.apply(all, all, Set.of(ListFlag.ROOTS)));
    }

    @Test
    void latestIsPerDomainAndAppliesAfterTheOtherFilters() {
        Backup a1 = backup(a, 1, null, BackupMode.MANAGED, JobState.COMPLETED);
        Backup a2 = backup(a, 2, a1.uuid(), BackupMode.MANAGED, JobState.COMPLETED);
        Backup b1 = backup(b, 3, null, BackupMode.MANAGED, JobState.COMPLETED);
        List<Backup> all = List.of(a1, a2, b1);
        assertEquals(List.of(a2, b1), BackupFilter.apply(all, all, Set.of(ListFlag.LATEST)));
        assertEquals(List.of(a1, b1), BackupFilter.apply(all, all, Set.of(ListFlag.LATEST, ListFlag.FULL)));
    }

    @Test
    void cancelledBackupsAreNeverListed() {
        Backup c = backup(a, 1, null, BackupMode.MANAGED, JobState.CANCELLED);
        assertEquals(List.of(), BackupFilter.apply(List.of(c), List.of(c), Set.of()));
    }
}
