package org.virtbackup.impl.repository;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.CollectResult;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RefreshResult;
import org.virtbackup.api.VerifyResult;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.storage.StorageRouter;
import org.virtbackup.repository.GarbageCollector;
import org.virtbackup.repository.Repository;
import org.virtbackup.repository.Verifier;

/**
 * Verification and collection of repositories, for the service. A verification holds the
 * backup's domain for reading, so its backup is not deleted (and its chunks collected) under it.
 */
public final class RepositoryMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryMaintenance.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final Repositories repositories;
    private final DomainLocks locks;

    public RepositoryMaintenance(Catalogue catalogue, StorageRouter storage, Repositories repositories, DomainLocks locks) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.repositories = repositories;
        this.locks = locks;
    }

    /** Reads and checks every chunk the backup names; a damaged one marks each backup naming it. */
    public VerifyResult verify(UUID uuid) {
        Backup seen = catalogue.require(uuid).backup();
        try (DomainLocks.Held held = locks.hold(seen.domain(), DomainLocks.Access.READ, "the verification of backup " + uuid)) {
            CatalogueEntry entry = catalogue.require(uuid);
            if (!Catalogue.inRepository(entry)) {
                throw new BackupException(ErrorCode.NOT_SUPPORTED, "backup " + uuid + " is "
                        + (entry.backup().inRepository() ? entry.backup().state().name().toLowerCase() + ": only "
                                + "completed backups are verified" : "not in a repository: its images are checked by a "
                                + "restore with VERIFY"));
            }
            String url = entry.backup().disks().get(0).target();
            Repository repo = repositories.open(url);
            AtomicLong checked = new AtomicLong();
            long total = entry.backup().disks().stream().mapToLong(d -> d.capacity()).sum();
            Verifier.Report r = Repositories.call(url, () -> new Verifier(repo, repositories.streams())
                    .verify(uuid, n -> checked.addAndGet(n)));
            catalogue.refreshDamage(url);
            List<String> damaged = r.damaged().entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).sorted().toList();
            if (r.whole()) {
                LOG.info("Backup {} verified: {} chunks, {} bytes of {} whole", uuid, r.chunks(), r.bytes(), total);
            } else {
                LOG.error("Backup {} is damaged: {} of {} chunks; backups naming them: {}", uuid, damaged.size(), r.chunks(),
                        r.damagedBackups());
            }
            return new VerifyResult(uuid, r.chunks(), r.bytes(), damaged, new ArrayList<>(r.damagedBackups()));
        }
    }

    /** Lists one repository again, or ({@code null}) every repository in use: what other hosts did there appears. */
    public List<RefreshResult> refresh(String url) {
        List<RefreshResult> results = new ArrayList<>();
        for (String u : urls(url)) {
            int[] change = catalogue.refreshRepository(u);
            if (change[0] + change[1] > 0) {
                LOG.info("Repository {} listed again: {} backups appeared, {} went", u, change[0], change[1]);
            }
            results.add(new RefreshResult(u, change[0], change[1]));
        }
        return results;
    }

    /** Collects one repository, or ({@code null}) every repository in use. */
    public List<CollectResult> collect(String url) {
        List<CollectResult> results = new ArrayList<>();
        for (String u : urls(url)) {
            Repository repo = repositories.open(u);
            // Running here: a job that ended before a restart has its indexes, not yet its manifest.
            Set<UUID> unfinished = catalogue.backups().stream()
                    .filter(b -> b.inRepository() && b.state() == JobState.RUNNING && b.disks().get(0).target().equals(u))
                    .map(Backup::uuid).collect(Collectors.toSet());
            GarbageCollector.Report r = Repositories.call(u, () -> new GarbageCollector(repo).collect(unfinished));
            catalogue.refreshDamage(u);
            LOG.info("Repository {} collected: {} of {} chunks removed, {} indexes of unfinished backups", u,
                    r.chunksRemoved(), r.chunksBefore(), r.indexesRemoved());
            results.add(new CollectResult(u, r.chunksBefore(), r.chunksRemoved(), r.indexesRemoved()));
        }
        return results;
    }

    /** The repository of the URL, or ({@code null}) every repository in use. */
    private Set<String> urls(String url) {
        Set<String> urls = new LinkedHashSet<>();
        if (url != null && !url.isBlank()) {
            urls.add(RepositoryUrl.parse(url).url());
        } else {
            urls.addAll(storage.repositories());
            urls.addAll(repositories.opened());
        }
        return urls;
    }

    /** A backup in the repository was deleted: collected now when so configured. */
    public void deleted(String url) {
        if (!repositories.collectAfterDelete()) {
            return;
        }
        try {
            collect(url);
        } catch (BackupException e) {
            LOG.warn("Collecting {} after a delete failed (the next collection takes what this one left): {}", url,
                    e.getMessage());
        }
    }
}
