package org.virtbackup.impl.service;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.ErrorCode;
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
 * at activation, when a provider comes back after a hot swap, and when a StorageTarget service
 * brings its backups. Resumptions never run two at a time and never wait for a domain: one whose
 * domain is held by an operation is tried again a few seconds later, and one whose libvirtd does
 * not answer yet (a host starting) too, for a minute before it is recorded failed: no job is left
 * recorded running without anyone watching it, and none for good.
 */
final class JobResumer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JobResumer.class);
    static final long RETRY_SECONDS = 5;
    /** How many times a resumption libvirt refuses is tried: a minute's worth. */
    static final int LIBVIRT_TRIES = 12;

    private final Catalogue catalogue;
    private final JobTracker jobs;
    private final DomainLocks locks;
    private final Providers providers;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "virt-backup-resume-retry");
        t.setDaemon(true);
        return t;
    });
    /** The modes whose retry is scheduled: one at a time each. */
    private final Set<BackupMode> retrying = EnumSet.noneOf(BackupMode.class);
    private final Map<UUID, Integer> libvirtTries = new HashMap<>();
    private volatile boolean closed;

    /** @param locks domain locks that do not wait: a busy domain is tried again later */
    JobResumer(Catalogue catalogue, JobTracker jobs, DomainLocks locks, Providers providers) {
        this.catalogue = catalogue;
        this.jobs = jobs;
        this.locks = locks;
        this.providers = providers;
    }

    /** Resumes the running jobs of a mode with its provider of the moment, if it has one. */
    synchronized void resume(BackupMode mode) {
        BackupProvider provider = providers.get(mode).orElse(null);
        if (provider == null || closed) {
            return;
        }
        boolean busy = false;
        for (CatalogueEntry e : catalogue.all()) {
            if (closed || providers.get(mode).orElse(null) != provider) {
                return; // deactivated, or hot-swapped: the next instance or provider takes over
            }
            Backup b = e.backup();
            // One whose end awaits its record has no job to resume: finishJob records that end.
            if (b.state() == JobState.RUNNING && b.mode() == mode && jobs.get(b.uuid()).isEmpty()
                    && !jobs.endsUnrecorded(b.uuid())) {
                busy |= !resume(b, provider);
            }
        }
        if (busy && retrying.add(mode)) {
            retries.schedule(() -> retry(mode), RETRY_SECONDS, TimeUnit.SECONDS);
        }
    }

    private synchronized void retry(BackupMode mode) {
        retrying.remove(mode);
        resume(mode);
    }

    /** @return false if the domain was busy, or libvirt did not answer, and the backup should be tried again */
    private boolean resume(Backup b, BackupProvider provider) {
        try (DomainLocks.Held held = locks.hold(b.domain(), DomainLocks.Access.START, "the resumption of backup "
                + b.uuid())) {
            // Looked at again under the lock: the job may have ended or been taken over meanwhile.
            Optional<CatalogueEntry> e = catalogue.get(b.uuid());
            if (e.isEmpty() || e.get().backup().state() != JobState.RUNNING || jobs.get(b.uuid()).isPresent()
                    || jobs.endsUnrecorded(b.uuid())) {
                return true;
            }
            Backup parent = b.parent() == null ? null : catalogue.get(b.parent()).map(CatalogueEntry::backup).orElse(null);
            Optional<BackupJob> job = provider.resume(new JobSpec(b, e.get().domainXml(), e.get().directory(), Set.of(),
                    parent));
            // Not resumable: recorded failed by the tracker, which drops its checkpoint and images.
            jobs.watch(b.uuid(), job.orElseGet(() -> new EndedJob(new JobResult(JobState.FAILED,
                    "the job left no journal to resume from", b.disks()))));
            libvirtTries.remove(b.uuid());
            LOG.info("Resumed backup {} of {}", b.uuid(), b.domain().name());
            return true;
        } catch (BackupException ex) {
            if (ex.code() == ErrorCode.DOMAIN_BUSY
                    || ex.code() == ErrorCode.LIBVIRT_ERROR && libvirtTries.merge(b.uuid(), 1, Integer::sum) < LIBVIRT_TRIES) {
                LOG.info("Backup {} is resumed later: {}", b.uuid(), ex.getMessage());
                return false;
            }
            fail(b, ex);
        } catch (RejectedExecutionException ex) {
            return false; // its provider is going away meanwhile: the next one resumes it
        } catch (RuntimeException ex) {
            fail(b, ex);
        }
        return true;
    }

    private void fail(Backup b, RuntimeException ex) {
        libvirtTries.remove(b.uuid());
        LOG.warn("Cannot resume backup {}: {}", b.uuid(), ex.getMessage());
        jobs.watch(b.uuid(), new EndedJob(new JobResult(JobState.FAILED, "cannot resume: " + ex.getMessage(), b.disks())));
    }

    /** No resumption starts after this returns (it waits for one under way): the next instance takes over. */
    @Override
    public void close() {
        closed = true; // a pass under way stops at its next backup
        synchronized (this) {
            retries.shutdownNow();
        }
    }
}
