package org.virtbackup.api;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What {@link BackupService#verify} found.
 *
 * @param backup the backup verified
 * @param chunks distinct chunks read and checked
 * @param bytes bytes of disk data checked
 * @param damaged the chunks missing or failing a check (their names, with why)
 * @param damagedBackups every backup that names a damaged chunk, this one first when it does; empty when whole
 * @since 1.4
 */
public record VerifyResult(UUID backup, long chunks, long bytes, List<String> damaged, List<UUID> damagedBackups) {

    public VerifyResult {
        Objects.requireNonNull(backup, "backup");
        damaged = List.copyOf(damaged);
        damagedBackups = List.copyOf(damagedBackups);
    }

    /** Whether every chunk was there and whole. */
    public boolean whole() {
        return damaged.isEmpty();
    }
}
