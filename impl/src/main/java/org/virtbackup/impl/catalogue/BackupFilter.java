package org.virtbackup.impl.catalogue;

import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;

/**
 * The {@link ListFlag} semantics: flags of one group OR-ed, groups AND-ed, LATEST last.
 */
final class BackupFilter {

    private BackupFilter() {
    }

    /**
     * @param candidates backups to filter, oldest first
     * @param all every backup known, to tell roots and leaves
     */
    static List<Backup> apply(List<Backup> candidates, Collection<Backup> all, Set<ListFlag> flags) {
        Set<ListFlag> f = flags == null || flags.isEmpty() ? EnumSet.noneOf(ListFlag.class) : EnumSet.copyOf(flags);
        Set<UUID> parents = all.stream().map(Backup::parent).filter(p -> p != null).collect(Collectors.toSet());
        Predicate<Backup> kind = group(f, Map.of(
                ListFlag.FULL, b -> b.kind() == BackupKind.FULL,
                ListFlag.INCREMENTAL, b -> b.kind() == BackupKind.INCREMENTAL));
        Predicate<Backup> mode = group(f, Map.of(
                ListFlag.MANAGED, b -> b.mode() == BackupMode.MANAGED,
                ListFlag.UNMANAGED, b -> b.mode() == BackupMode.UNMANAGED));
        Predicate<Backup> position = group(f, Map.of(
                ListFlag.ROOTS, b -> b.parent() == null,
                ListFlag.LEAVES, b -> !parents.contains(b.uuid())));
        Predicate<Backup> state = group(f, Map.of(ListFlag.ACTIVE, b -> b.state() == JobState.RUNNING));
        List<Backup> kept = candidates.stream()
                .filter(b -> b.state() != JobState.CANCELLED)
                .filter(kind.and(mode).and(position).and(state))
                .toList();
        if (!f.contains(ListFlag.LATEST)) {
            return kept;
        }
        Map<UUID, Backup> latest = kept.stream().collect(Collectors.toMap(b -> b.domain().uuid(), b -> b,
                (a, b) -> a.creationTime().isAfter(b.creationTime()) ? a : b));
        return latest.values().stream().sorted(Comparator.comparing(Backup::creationTime)).toList();
    }

    private static Predicate<Backup> group(Set<ListFlag> flags, Map<ListFlag, Predicate<Backup>> members) {
        List<Predicate<Backup>> chosen = members.entrySet().stream()
                .filter(e -> flags.contains(e.getKey())).map(Map.Entry::getValue).toList();
        if (chosen.isEmpty()) {
            return b -> true;
        }
        return b -> chosen.stream().anyMatch(p -> p.test(b));
    }
}
