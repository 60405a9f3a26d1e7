package org.virtbackup.impl.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.spi.JobProgress;

/** A backup's {@link BackupParameters}: its job's progress while it runs, its statistics afterwards. */
public final class Parameters {

    private final Catalogue catalogue;
    private final JobTracker jobs;
    private final CopyTracker copies;

    public Parameters(Catalogue catalogue, JobTracker jobs, CopyTracker copies) {
        this.catalogue = catalogue;
        this.jobs = jobs;
        this.copies = copies;
    }

    public Map<String, Object> of(UUID uuid) {
        Backup b = catalogue.require(uuid).backup();
        long total = b.disks().stream().mapToLong(BackupDisk::capacity).sum();
        long processed = b.state() == JobState.COMPLETED ? total : 0;
        long elapsed = b.completionTime() == null ? 0
                : Duration.between(b.creationTime(), b.completionTime()).toMillis();
        Optional<RunningJob> running = jobs.get(uuid);
        if (running.isPresent() && b.state() == JobState.RUNNING) {
            JobProgress p = running.get().job().progress();
            total = p.total();
            processed = p.processed();
            elapsed = Duration.between(running.get().started(), Instant.now()).toMillis();
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put(BackupParameters.STATE, b.state().name());
        params.put(BackupParameters.KIND, b.kind().name());
        params.put(BackupParameters.MODE, b.mode().name());
        params.put(BackupParameters.BYTES_TOTAL, total);
        params.put(BackupParameters.BYTES_PROCESSED, processed);
        params.put(BackupParameters.BYTES_REMAINING, Math.max(0, total - processed));
        params.put(BackupParameters.BYTES_STORED, b.disks().stream().mapToLong(BackupDisk::stored).sum());
        params.put(BackupParameters.BYTES_DEDUPLICATED, b.disks().stream().mapToLong(BackupDisk::deduplicated).sum());
        params.put(BackupParameters.ELAPSED_MS, elapsed);
        params.put(BackupParameters.THROUGHPUT, elapsed > 0 ? processed * 1000 / elapsed : 0L);
        copies.progress(CopyTracker.Kind.RESTORE, uuid).ifPresent(p -> {
            params.put(BackupParameters.RESTORE_BYTES_TOTAL, p.total());
            params.put(BackupParameters.RESTORE_BYTES_PROCESSED, p.processed());
        });
        copies.progress(CopyTracker.Kind.MERGE, uuid).ifPresent(p -> {
            params.put(BackupParameters.MERGE_BYTES_TOTAL, p.total());
            params.put(BackupParameters.MERGE_BYTES_PROCESSED, p.processed());
        });
        return params;
    }
}
