package org.virtbackup.api;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One backup as the catalogue knows it: an immutable value, so reading it never races with
 * the job that produces it; ask the service again for a newer state.
 *
 * @param uuid the backup's identity
 * @param domain the domain it was taken of
 * @param description free text given at creation, empty if none
 * @param creationTime when the job started, to the millisecond (the XML's {@code <creationTime>} in seconds)
 * @param completionTime when the job ended, to the millisecond, {@code null} while running
 * @param parent the parent backup of an incremental, {@code null} for a full backup
 * @param kind full or incremental
 * @param mode managed (we keep the data) or unmanaged (a third party reads an NBD export)
 * @param state the job's state
 * @param checkpoint the libvirt checkpoint created with this backup, {@code null} if none
 * @param message why the backup failed or fell back, or what needs the operator still; empty if nothing to say
 * @param disks the disks it holds
 * @param damaged a verification found data of it missing or corrupt (a repository backup naming a
 *        damaged chunk); it may not restore whole (since 1.4)
 * @param firmware the domain's firmware state kept with it: NVRAM, TPM state; empty if the domain
 *        has none, or for a backup that does not keep it (see the README) (since 1.6)
 */
public record Backup(UUID uuid, DomainRef domain, String description, Instant creationTime,
        Instant completionTime, UUID parent, BackupKind kind, BackupMode mode, JobState state,
        String checkpoint, String message, List<BackupDisk> disks, boolean damaged, List<FirmwareFile> firmware) {

    /** A backup keeping no firmware state. */
    public Backup(UUID uuid, DomainRef domain, String description, Instant creationTime,
            Instant completionTime, UUID parent, BackupKind kind, BackupMode mode, JobState state,
            String checkpoint, String message, List<BackupDisk> disks, boolean damaged) {
        this(uuid, domain, description, creationTime, completionTime, parent, kind, mode, state, checkpoint, message,
                disks, damaged, List.of());
    }

    /** A backup not known to be damaged. */
    public Backup(UUID uuid, DomainRef domain, String description, Instant creationTime,
            Instant completionTime, UUID parent, BackupKind kind, BackupMode mode, JobState state,
            String checkpoint, String message, List<BackupDisk> disks) {
        this(uuid, domain, description, creationTime, completionTime, parent, kind, mode, state, checkpoint, message,
                disks, false);
    }

    public Backup {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(creationTime, "creationTime");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(state, "state");
        // Millisecond precision, as in the descriptor: a backup reads the same before and after a reload.
        creationTime = creationTime.truncatedTo(ChronoUnit.MILLIS);
        completionTime = completionTime == null ? null : completionTime.truncatedTo(ChronoUnit.MILLIS);
        description = description == null ? "" : description;
        message = message == null ? "" : message;
        disks = List.copyOf(disks);
        firmware = firmware == null ? List.of() : List.copyOf(firmware);
    }

    public Optional<UUID> parentUuid() {
        return Optional.ofNullable(parent);
    }

    /** A copy in another state, with the completion time and message given. */
    public Backup withState(JobState newState, Instant completed, String newMessage) {
        return new Backup(uuid, domain, description, creationTime, completed, parent, kind, mode,
                newState, checkpoint, newMessage, disks, damaged, firmware);
    }

    /** A copy holding other disk records (sizes known only after the job). */
    public Backup withDisks(List<BackupDisk> newDisks) {
        return new Backup(uuid, domain, description, creationTime, completionTime, parent, kind,
                mode, state, checkpoint, message, newDisks, damaged, firmware);
    }

    /**
     * A copy marked damaged or whole.
     *
     * @since 1.4
     */
    public Backup withDamaged(boolean isDamaged) {
        return new Backup(uuid, domain, description, creationTime, completionTime, parent, kind,
                mode, state, checkpoint, message, disks, isDamaged, firmware);
    }

    /**
     * A copy in another place of its chain (a merge moved it): another parent and kind.
     *
     * @since 1.6
     */
    public Backup withParent(UUID newParent, List<BackupDisk> newDisks) {
        return new Backup(uuid, domain, description, creationTime, completionTime, newParent,
                newParent == null ? BackupKind.FULL : BackupKind.INCREMENTAL, mode, state, checkpoint, message,
                newDisks, damaged, firmware);
    }

    /**
     * Whether its data is in a repository (every disk's format is {@link BackupDisk#REPOSITORY}).
     *
     * @since 1.4
     */
    public boolean inRepository() {
        return !disks.isEmpty() && disks.stream().allMatch(BackupDisk::inRepository);
    }
}
