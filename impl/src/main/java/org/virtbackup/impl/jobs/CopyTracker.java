package org.virtbackup.impl.jobs;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.spi.JobProgress;

/**
 * The qemu-img copies running on behalf of a backup outside its job: restores of it, and the
 * rebase of its children while it is merged away. Their progress shows in its parameters.
 */
public final class CopyTracker {

    /** What a copy is doing for the backup. */
    public enum Kind { RESTORE, MERGE }

    private final Map<Kind, Map<UUID, CopyProgress>> copies = Map.of(
            Kind.RESTORE, new ConcurrentHashMap<>(), Kind.MERGE, new ConcurrentHashMap<>());

    public void started(Kind kind, UUID backup, CopyProgress progress) {
        copies.get(kind).put(backup, progress);
    }

    public void ended(Kind kind, UUID backup, CopyProgress progress) {
        copies.get(kind).remove(backup, progress);
    }

    public Optional<JobProgress> progress(Kind kind, UUID backup) {
        return Optional.ofNullable(copies.get(kind).get(backup)).map(CopyProgress::bytes);
    }
}
