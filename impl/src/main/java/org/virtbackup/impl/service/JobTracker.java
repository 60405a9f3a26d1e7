package org.virtbackup.impl.service;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobResult;

/**
 * Watches running jobs and writes their outcome into the catalogue: completed backups are
 * recorded whole, failed ones keep their descriptor with the reason but lose their data,
 * cancelled ones leave nothing behind.
 */
final class JobTracker {

    private static final Logger LOG = LoggerFactory.getLogger(JobTracker.class);

    private final Catalogue catalogue;
    private final BiConsumer<Backup, Path> removeAll;
    private final BiConsumer<Backup, Path> removeImages;
    private final Consumer<Backup> dropCheckpoint;
    private final Events events;
    private final Map<UUID, RunningJob> running = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param dropCheckpoint removes the checkpoint of a backup that did not complete: nothing may
     *        be built on it, and a stale one would make later incrementals skip data
     */
    /**
     * @param removeAll removes a backup's images and directory (a cancelled one)
     * @param removeImages removes a backup's images only (a failed one keeps its descriptor)
     */
    JobTracker(Catalogue catalogue, BiConsumer<Backup, Path> removeAll, BiConsumer<Backup, Path> removeImages,
            Consumer<Backup> dropCheckpoint, Events events) {
        this.catalogue = catalogue;
        this.removeAll = removeAll;
        this.removeImages = removeImages;
        this.dropCheckpoint = dropCheckpoint;
        this.events = events;
    }

    RunningJob watch(UUID backup, BackupJob job) {
        RunningJob r = new RunningJob(job, Instant.now(), new CompletableFuture<>());
        running.put(backup, r);
        job.result().whenComplete((result, error) -> {
            if (closed) {
                return; // this facade is gone; the next activation resumes the job
            }
            JobResult outcome = error == null ? result
                    : new JobResult(JobState.FAILED, String.valueOf(error.getMessage()), java.util.List.of());
            try {
                r.recorded().complete(record(backup, outcome));
            } catch (RuntimeException e) {
                LOG.error("Recording the end of backup {} failed", backup, e);
                r.recorded().completeExceptionally(e);
            } finally {
                running.remove(backup, r);
            }
        });
        return r;
    }

    /** The backups whose jobs are watched now. */
    java.util.Set<UUID> running() {
        return java.util.Set.copyOf(running.keySet());
    }

    Optional<RunningJob> get(UUID backup) {
        return Optional.ofNullable(running.get(backup));
    }

    /** Whether a watched job belongs to this domain. */
    Optional<UUID> runningFor(UUID domain) {
        return running.keySet().stream()
                .filter(b -> catalogue.get(b).map(e -> e.backup().domain().uuid().equals(domain)).orElse(false))
                .findFirst();
    }

    /** Stops recording: jobs go on and are resumed by the next activation. */
    void close() {
        closed = true;
        running.clear();
    }

    private JobState record(UUID uuid, JobResult result) {
        CatalogueEntry entry = catalogue.require(uuid);
        Backup b = entry.backup();
        switch (result.state()) {
            case COMPLETED -> {
                Backup done = b.withDisks(result.disks()).withState(JobState.COMPLETED, Instant.now(), b.message());
                catalogue.put(entry.with(done));
                events.ended(done);
                LOG.info("Backup {} of {} completed", uuid, b.domain().name());
            }
            case CANCELLED -> {
                dropCheckpoint.accept(b);
                catalogue.remove(uuid);
                removeAll.accept(b, entry.directory());
                events.ended(b.withState(JobState.CANCELLED, Instant.now(), ""));
                LOG.info("Backup {} of {} cancelled; its files are removed", uuid, b.domain().name());
            }
            default -> {
                dropCheckpoint.accept(b);
                removeImages.accept(b, entry.directory());
                Backup ended = b.withState(result.state(), Instant.now(), result.message());
                catalogue.put(entry.with(ended));
                events.ended(ended);
                LOG.warn("Backup {} of {} failed: {}", uuid, b.domain().name(), result.message());
            }
        }
        return result.state();
    }
}
