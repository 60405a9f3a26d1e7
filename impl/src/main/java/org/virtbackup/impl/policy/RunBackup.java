package org.virtbackup.impl.policy;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ModifyFlag;

/**
 * The backup a policy run makes of one domain: the one its journal names, when it exists and has
 * not failed (a resumed run), waited for; else a new one, full or incremental as the policy's
 * {@link FullRule} says, under a UUID recorded before it starts.
 */
final class RunBackup {

    private static final Logger LOG = LoggerFactory.getLogger(RunBackup.class);

    private final Policy policy;
    private final BackupService backups;
    private final Clock clock;
    private final Duration poll;
    private final BooleanSupplier stopped;

    /** {@code stopped}: whether the engine stops, so that no new backup may start. */
    RunBackup(Policy policy, BackupService backups, Clock clock, Duration poll, BooleanSupplier stopped) {
        this.policy = policy;
        this.backups = backups;
        this.clock = clock;
        this.poll = poll;
        this.stopped = stopped;
    }

    /** Makes (or waits for) the domain's backup; {@code record} gets a new backup's UUID before it starts. */
    UUID of(DomainRef domain, UUID recorded, Consumer<UUID> record) throws InterruptedException {
        if (recorded != null) {
            // The domain's, not another of the same name defined meanwhile.
            Optional<Backup> existing = backups.lookup(recorded).filter(b -> b.domain().uuid().equals(domain.uuid()));
            if (existing.isPresent() && existing.get().state() != JobState.FAILED) {
                return await(existing.get());
            }
        }
        if (policy.target() != null) {
            backups.setDefaultTarget(domain.uuid().toString(), policy.target(), Set.<ModifyFlag>of());
        }
        Set<CreateFlag> flags = policy.fullRule().flags(backups.list(domain.uuid().toString(), Set.of()), clock.instant());
        UUID uuid = UUID.randomUUID();
        record.accept(uuid);
        if (Thread.currentThread().isInterrupted() || stopped.getAsBoolean()) {
            // The engine stopped while this thread was held (a libvirt call): the next one could not know of it.
            throw new InterruptedException("the policy engine stops: no new backup");
        }
        Backup started = backups.create(domain.uuid().toString(),
                new BackupRequest(uuid, Policy.description(policy.name()), null, List.of()), flags);
        LOG.info("Policy {}: {} backup {} of {} started", policy.name(), started.kind().name().toLowerCase(), uuid, domain.name());
        return await(started);
    }

    private UUID await(Backup backup) throws InterruptedException {
        JobState state = backup.state();
        boolean told = false;
        while (state == JobState.RUNNING) {
            Thread.sleep(poll.toMillis());
            try {
                // Not lookup: CHECK also records again an end whose record failed (a full disk): the run goes on once it can.
                state = backups.finishJob(backup.uuid(), Set.of(FinishJobFlag.CHECK));
            } catch (BackupException e) {
                if (e.code() != ErrorCode.IO_ERROR) {
                    throw new IllegalStateException("backup " + backup.uuid() + " was cancelled or deleted while it ran: "
                            + e.getMessage(), e);
                }
                if (!told) {
                    LOG.warn("Policy {}: {}; asked again every {} ms", policy.name(), e.getMessage(), poll.toMillis());
                    told = true;
                }
            }
        }
        Backup b = backups.lookup(backup.uuid()).orElseThrow(() -> new IllegalStateException("backup " + backup.uuid()
                + " was cancelled or deleted while it ran"));
        if (b.state() != JobState.COMPLETED) {
            throw new IllegalStateException("backup " + b.uuid() + " " + b.state().name().toLowerCase() + ": " + b.message());
        }
        return b.uuid();
    }
}
