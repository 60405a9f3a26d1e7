package org.virtbackup.impl.service;

import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.JobTracker;
import org.virtbackup.impl.provider.EndedJob;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.JobResult;
import org.virtbackup.spi.JobSpec;

/**
 * Takes over the jobs the catalogue records as running when a provider of their mode appears:
 * at activation, and when a provider comes back after a hot swap.
 */
final class JobResumer {

    private static final Logger LOG = LoggerFactory.getLogger(JobResumer.class);

    private final Catalogue catalogue;
    private final JobTracker jobs;
    private final DomainLocks locks;

    JobResumer(Catalogue catalogue, JobTracker jobs, DomainLocks locks) {
        this.catalogue = catalogue;
        this.jobs = jobs;
        this.locks = locks;
    }

    void resume(BackupMode mode, BackupProvider provider) {
        for (CatalogueEntry e : catalogue.all()) {
            Backup b = e.backup();
            if (b.state() != JobState.RUNNING || b.mode() != mode || jobs.get(b.uuid()).isPresent()) {
                continue;
            }
            // A backup still starting (recorded running, its journal not yet written) is not a job cut short.
            try (DomainLocks.Held held = locks.hold(b.domain(), DomainLocks.Access.START, "the resumption of backup "
                    + b.uuid())) {
                if (catalogue.get(b.uuid()).map(x -> x.backup().state()).orElse(null) != JobState.RUNNING
                        || jobs.get(b.uuid()).isPresent()) {
                    continue;
                }
                Backup parent = b.parent() == null ? null : catalogue.get(b.parent()).map(CatalogueEntry::backup).orElse(null);
                Optional<BackupJob> job = provider.resume(new JobSpec(b, e.domainXml(), e.directory(), Set.of(), parent));
                // Not resumable: recorded failed by the tracker, which drops its checkpoint and images.
                jobs.watch(b.uuid(), job.orElseGet(() -> new EndedJob(new JobResult(JobState.FAILED,
                        "the job left no journal to resume from", b.disks()))));
                LOG.info("Resumed backup {} of {}", b.uuid(), b.domain().name());
            } catch (RuntimeException ex) {
                LOG.warn("Cannot resume backup {}: {}", b.uuid(), ex.getMessage());
                if (!(ex instanceof org.virtbackup.api.BackupException be && be.code() == org.virtbackup.api.ErrorCode.DOMAIN_BUSY)) {
                    jobs.watch(b.uuid(), new EndedJob(new JobResult(JobState.FAILED, "cannot resume: " + ex.getMessage(),
                            b.disks())));
                }
            }
        }
    }
}
