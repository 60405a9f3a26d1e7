package org.virtbackup.impl.jobs;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.storage.StorageRouter;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobResult;

/**
 * Watches running jobs and writes their outcome into the catalogue: completed backups are
 * recorded whole, failed ones keep their descriptor with the reason but lose their data and
 * checkpoint (nothing may be built on them, and a stale checkpoint would make later incrementals
 * skip data), cancelled ones leave nothing behind.
 */
public final class JobTracker {

    private static final Logger LOG = LoggerFactory.getLogger(JobTracker.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final Checkpoints checkpoints;
    private final Events events;
    private final FaultPoints faults;
    private final Map<UUID, RunningJob> running = new ConcurrentHashMap<>();
    /** Ends whose recording failed (a full disk, say): finishJob tries them again. */
    private final Map<UUID, JobResult> unrecorded = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public JobTracker(Catalogue catalogue, StorageRouter storage, Checkpoints checkpoints, Events events,
            FaultPoints faults) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.checkpoints = checkpoints;
        this.events = events;
        this.faults = faults;
    }

    /** Watches a job of a backup the catalogue records as running, until it ends. */
    public RunningJob watch(UUID backup, BackupJob job) {
        RunningJob r = new RunningJob(job, Instant.now(), new CompletableFuture<>());
        running.put(backup, r);
        job.result().whenComplete((result, error) -> {
            if (closed) {
                return; // this facade is gone; the next activation resumes the job
            }
            JobResult outcome = error == null ? result
                    : new JobResult(JobState.FAILED, String.valueOf(error.getMessage()), List.of());
            // Unwatched before finishJob's caller wakes: a create right after it must not find the job still here.
            JobState state;
            try {
                state = record(backup, outcome);
            } catch (RuntimeException | Error e) { // an Error too: else finishJob would wait for this record for good
                LOG.error("Recording the end of backup {} failed; finishJob tries again", backup, e);
                unrecorded.put(backup, outcome);
                running.remove(backup, r);
                r.recorded().completeExceptionally(e);
                return;
            }
            running.remove(backup, r);
            r.recorded().complete(state);
        });
        return r;
    }

    /**
     * {@code finishJob}: the state of a backup that has ended; with {@code CHECK} the state now;
     * else cancels the job ({@code CANCEL}) or ends it (an export; a copy is waited for), and
     * returns the state the catalogue recorded.
     */
    public JobState finish(UUID uuid, Set<FinishJobFlag> flags) {
        if (unrecorded.containsKey(uuid)) {
            return recordAgain(uuid);
        }
        Backup backup = catalogue.require(uuid).backup();
        if (backup.state().isFinal()) {
            return backup.state();
        }
        Set<FinishJobFlag> f = flags == null ? Set.of() : flags;
        if (f.contains(FinishJobFlag.CHECK) && !f.contains(FinishJobFlag.CANCEL)) {
            return JobState.RUNNING;
        }
        RunningJob job = get(uuid).orElseThrow(() -> new BackupException(ErrorCode.NO_PROVIDER,
                "no provider watches backup " + uuid + " now; it is resumed when the "
                        + backup.mode().name().toLowerCase(Locale.ROOT) + " provider returns"));
        if (f.contains(FinishJobFlag.CANCEL)) {
            job.job().cancel();
        } else {
            job.job().end();
        }
        try {
            return job.recorded().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.INVALID_STATE, "interrupted while waiting for backup " + uuid);
        } catch (ExecutionException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "recording the end of backup " + uuid + " failed: "
                    + e.getCause().getMessage() + "; finishJob tries again", e.getCause());
        }
    }

    /**
     * Records again an end whose recording failed. Its job is over, so no flag applies: cancelling
     * it now would be a lie about what it did. One at a time, so that two callers do not record it twice.
     */
    private synchronized JobState recordAgain(UUID uuid) {
        JobResult outcome = unrecorded.get(uuid);
        if (outcome == null) { // another caller recorded it
            return catalogue.require(uuid).backup().state();
        }
        Optional<CatalogueEntry> entry = catalogue.get(uuid);
        if (entry.isEmpty() || entry.get().backup().state().isFinal()) {
            // The record was written before the step that failed; what that step left, the next start sweeps.
            unrecorded.remove(uuid);
            return entry.map(e -> e.backup().state()).orElse(outcome.state());
        }
        JobState state;
        try {
            state = record(uuid, outcome);
        } catch (RuntimeException | Error e) {
            throw new BackupException(ErrorCode.IO_ERROR, "backup " + uuid + " ended ("
                    + outcome.state().name().toLowerCase(Locale.ROOT) + "), but recording it failed again: "
                    + e.getMessage() + "; finishJob tries again", e);
        }
        unrecorded.remove(uuid);
        return state;
    }

    /** Whether the backup's job ended and that end awaits its record: no provider is to resume it. */
    public boolean endsUnrecorded(UUID backup) {
        return unrecorded.containsKey(backup);
    }

    /** The backups whose jobs are watched now. */
    public Set<UUID> running() {
        return Set.copyOf(running.keySet());
    }

    public Optional<RunningJob> get(UUID backup) {
        return Optional.ofNullable(running.get(backup));
    }

    /** A backup of this domain whose job is watched, or recorded as running though unwatched (its provider is away). */
    public Optional<UUID> runningFor(UUID domain) {
        Optional<UUID> watched = running.keySet().stream()
                .filter(b -> catalogue.get(b).map(e -> e.backup().domain().uuid().equals(domain)).orElse(false))
                .findFirst();
        return watched.isPresent() ? watched : catalogue.backups().stream()
                .filter(b -> b.state() == JobState.RUNNING && b.domain().uuid().equals(domain))
                .map(Backup::uuid).findFirst();
    }

    /** Stops recording: jobs go on and are resumed by the next activation. */
    public void close() {
        closed = true;
        running.clear();
        unrecorded.clear(); // still running in the catalogue: the next activation resumes them
    }

    private JobState record(UUID uuid, JobResult result) {
        CatalogueEntry entry = catalogue.require(uuid);
        Backup b = entry.backup();
        switch (result.state()) {
            case COMPLETED -> {
                // A completed job's message is what needs the operator still (a libvirt job that did not end).
                String message = Messages.joined(b.message(), result.message());
                Backup done = b.withDisks(result.disks()).withState(JobState.COMPLETED, Instant.now(), message);
                faults.reach("create.before-completed");
                if (!done.inRepository()) {
                    storage.closeToQemu(entry.directory()); // its job's QEMU wrote what it had to
                }
                try {
                    catalogue.put(entry.with(done));
                } catch (RuntimeException e) {
                    if (!done.inRepository()) {
                        throw e;
                    }
                    // Never left running: its domain would stay busy for good. Its chunks go at the next collection.
                    LOG.error("Backup {} of {} completed, but its manifest could not be written", uuid, b.domain().name(), e);
                    return record(uuid, new JobResult(JobState.FAILED, "completed, but its manifest could not be "
                            + "written: " + e.getMessage(), result.disks()));
                }
                if (done.inRepository()) {
                    // Its manifest is its record now; the directory it ran in goes (or, at the next start, the sweep takes it).
                    storage.remove(done, entry.directory());
                    catalogue.refreshDamage(done.disks().get(0).target()); // the chunks it stored again repaired some
                }
                events.ended(done);
                if (result.message().isEmpty()) {
                    LOG.info("Backup {} of {} completed", uuid, b.domain().name());
                } else {
                    LOG.warn("Backup {} of {} completed: {}", uuid, b.domain().name(), result.message());
                }
            }
            case CANCELLED -> {
                DirectoryMarks.deleting(entry.directory(), b.domain()); // a crash from here on is finished at the next start
                checkpoints.drop(b);
                catalogue.delete(uuid);
                storage.remove(b, entry.directory());
                events.ended(b.withState(JobState.CANCELLED, Instant.now(), result.message()));
                LOG.info("Backup {} of {} cancelled; its files are removed{}", uuid, b.domain().name(),
                        result.message().isEmpty() ? "" : ": " + result.message());
            }
            default -> {
                checkpoints.drop(b);
                storage.removeImages(b, entry.directory());
                if (!b.inRepository()) {
                    storage.closeToQemu(entry.directory());
                }
                Backup ended = b.withState(result.state(), Instant.now(), result.message());
                catalogue.put(entry.with(ended));
                events.ended(ended);
                LOG.warn("Backup {} of {} failed: {}", uuid, b.domain().name(), result.message());
            }
        }
        return result.state();
    }
}
