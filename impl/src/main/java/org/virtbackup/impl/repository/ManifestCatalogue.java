package org.virtbackup.impl.repository;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.ManifestRecords;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.impl.xml.Descriptor;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkId;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.Repository;

/**
 * Completed repository backups as manifests: the backup's descriptor (the same XML a directory
 * backup keeps) and its disks' indexes. A repository moved or mounted elsewhere lists its
 * backups with the URL it is reached by now.
 */
public final class ManifestCatalogue implements ManifestRecords {

    private static final Logger LOG = LoggerFactory.getLogger(ManifestCatalogue.class);

    private final Repositories repositories;
    private final BackupXml xml;
    private final Function<Backup, Path> directoryOf;
    private final Map<String, String> unreadable = new ConcurrentHashMap<>();

    /** @param directoryOf the local directory a backup's restores and deletions keep their records in */
    public ManifestCatalogue(Repositories repositories, BackupXml xml, Function<Backup, Path> directoryOf) {
        this.repositories = repositories;
        this.xml = xml;
        this.directoryOf = directoryOf;
    }

    @Override
    public void commit(CatalogueEntry entry) {
        Backup b = entry.backup();
        String url = url(b);
        Optional<BackupWriter> kept = repositories.uncommitted(b.uuid());
        try {
            Repository repo = repositories.open(url);
            if (Repositories.call(url, () -> repo.manifest(b.uuid())).isPresent()) {
                return; // recorded already
            }
            commit(entry, repo, kept.isPresent() ? kept.get() : reattach(repo, url, b));
        } finally {
            kept.ifPresent(BackupWriter::close); // its chunks are named by the manifest now, or are left to a collection
        }
    }

    private void commit(CatalogueEntry entry, Repository repo, BackupWriter writer) {
        Backup b = entry.backup();
        String url = url(b);
        try (writer) {
            List<Manifest.Disk> disks = new ArrayList<>();
            for (BackupDisk d : b.disks()) {
                disks.add(Repositories.call(url, () -> repo.writtenIndex(b.uuid(), d.name(), d.capacity())));
            }
            disks.addAll(Repositories.call(url, () -> FirmwareChunks.written(repo, b.uuid(), b.firmware())));
            Manifest m = new Manifest(b.uuid(), b.domain().uuid(), b.creationTime(), disks, xml.write(b, entry.domainXml()));
            Repositories.call(url, () -> {
                writer.commit(m);
                return null;
            });
        }
    }

    /**
     * A writer for a backup whose job ended in an earlier process: its indexes' chunks pinned
     * again, each checked still stored (a collection may have run meanwhile).
     */
    private BackupWriter reattach(Repository repo, String url, Backup b) {
        BackupWriter w = repositories.writer(url, b.uuid());
        try {
            List<Manifest.Disk> all = new ArrayList<>();
            for (BackupDisk d : b.disks()) {
                all.add(Repositories.call(url, () -> repo.writtenIndex(b.uuid(), d.name(), d.capacity())));
            }
            all.addAll(Repositories.call(url, () -> FirmwareChunks.written(repo, b.uuid(), b.firmware())));
            for (Manifest.Disk written : all) {
                Manifest probe = new Manifest(b.uuid(), b.domain().uuid(), b.creationTime(), List.of(written), "");
                for (ChunkId id : Repositories.call(url, () -> repo.index(probe, written))) {
                    if (!w.reuse(id)) {
                        throw new BackupException(ErrorCode.IO_ERROR, "chunk " + id + " of " + written.name()
                                + " is no longer stored whole: the backup cannot be recorded; run it again");
                    }
                }
            }
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    @Override
    public void remove(CatalogueEntry entry) {
        String url = url(entry.backup());
        Repository repo = repositories.open(url);
        Repositories.call(url, () -> {
            repo.delete(entry.backup().uuid());
            return null;
        });
    }

    @Override
    public List<CatalogueEntry> load(Collection<String> urls) {
        List<CatalogueEntry> found = new ArrayList<>();
        for (String url : urls) {
            try {
                if (!repositories.exists(url)) {
                    unreadable.remove(url);
                    continue; // made by the first backup into it
                }
                Repository repo = repositories.open(url);
                Repository.Listing listing = Repositories.call(url, repo::manifests);
                listing.unreadable().forEach((name, why) -> LOG.warn("Skipping {} in {}: {}", name, url, why));
                found.addAll(entries(url, repo, listing.manifests()));
                unreadable.remove(url);
            } catch (BackupException e) {
                unreadable.put(url, e.getMessage());
                LOG.error("Cannot list the backups in repository {}: {}", url, e.getMessage());
            }
        }
        return found;
    }

    /**
     * Fails when the repository's {@code config} cannot be read now (a file system not mounted,
     * say), rather than answer "none": the catalogue would drop every backup of it.
     */
    @Override
    public Set<UUID> stored(String url) {
        if (!repositories.exists(url)) {
            return Set.of();
        }
        Repository repo = repositories.open(url);
        return Repositories.call(url, () -> {
            try {
                if (!repo.store().exists(org.virtbackup.repository.RepositoryConfig.NAME)) {
                    throw new BackupException(ErrorCode.IO_ERROR, "repository " + url + " cannot be read now (its config "
                            + "object is missing: is its file system mounted?); its backups stay listed");
                }
            } catch (IOException e) {
                throw new BackupException(ErrorCode.IO_ERROR, "repository " + url + ": " + e.getMessage(), e);
            }
            return repo.manifestIds();
        });
    }

    @Override
    public List<CatalogueEntry> load(String url, Set<UUID> backups) {
        Repository repo = repositories.open(url);
        List<Manifest> manifests = new ArrayList<>();
        for (UUID backup : backups) {
            try {
                Repositories.call(url, () -> repo.manifest(backup)).ifPresent(manifests::add);
            } catch (BackupException e) {
                LOG.warn("Skipping the manifest of {} in {}: {}", backup, url, e.getMessage());
            }
        }
        return entries(url, repo, manifests);
    }

    @Override
    public boolean holds(String url, UUID backup) {
        Repository repo = repositories.open(url);
        return Repositories.call(url, () -> repo.manifest(backup)).isPresent();
    }

    /**
     * Catalogue entries of manifests, each with the URL the repository is reached by now; their
     * descriptors parsed on all cores (a fleet's repository holds thousands).
     */
    private List<CatalogueEntry> entries(String url, Repository repo, List<Manifest> manifests) {
        Set<UUID> damaged = Repositories.call(url, repo::damagedBackups);
        return manifests.parallelStream().map(m -> {
            try {
                Descriptor d = xml.readStoredDescriptor(m.descriptor());
                Backup b = d.backup().withDisks(d.backup().disks().stream().map(disk -> new BackupDisk(disk.name(),
                        BackupDisk.REPOSITORY, url, disk.capacity(), disk.stored(), null, disk.deduplicated()))
                        .toList()).withDamaged(damaged.contains(m.backup()));
                return new CatalogueEntry(b, d.domainXml(), directoryOf.apply(b));
            } catch (BackupException e) {
                LOG.warn("Skipping the manifest of {} in {}: its descriptor cannot be read: {}", m.backup(), url,
                        e.getMessage());
                return null;
            }
        }).filter(Objects::nonNull).toList();
    }

    @Override
    public Set<UUID> damaged(String url) {
        Repository repo = repositories.open(url);
        return Repositories.call(url, () -> {
            repo.refreshDamage();
            return repo.damagedBackups();
        });
    }

    @Override
    public Map<String, String> unreadable() {
        return Map.copyOf(unreadable);
    }

    private static String url(Backup b) {
        return b.disks().get(0).target();
    }
}
