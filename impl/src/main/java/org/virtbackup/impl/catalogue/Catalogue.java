package org.virtbackup.impl.catalogue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.impl.xml.Descriptor;

/**
 * The source of truth for our backups: one descriptor file per backup, in the backup's own
 * directory, or for a completed repository backup its manifest in the repository, indexed in
 * memory by UUID. The catalogue alone writes and deletes descriptors and manifests, and every
 * change is stored before it is in the index.
 */
public final class Catalogue {

    private static final Logger LOG = LoggerFactory.getLogger(Catalogue.class);

    private final BackupXml xml;
    private final ManifestRecords manifests;
    private final Map<UUID, CatalogueEntry> index = new ConcurrentHashMap<>();
    /** One per UUID, so two writers of the same descriptor never interleave. */
    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();

    public Catalogue(BackupXml xml) {
        this(xml, ManifestRecords.NONE);
    }

    public Catalogue(BackupXml xml, ManifestRecords manifests) {
        this.xml = xml;
        this.manifests = manifests;
    }

    /** Indexes the descriptors found in these backup directories; unreadable ones are logged and skipped. */
    public void load(Collection<Path> directories) {
        for (Path dir : directories) {
            if (!Files.isRegularFile(DescriptorFile.in(dir))) {
                continue;
            }
            try {
                Descriptor d = xml.readDescriptor(DescriptorFile.read(dir));
                index.put(d.backup().uuid(), new CatalogueEntry(d.backup(), d.domainXml(), dir));
            } catch (IOException | BackupException e) {
                LOG.warn("Skipping unreadable backup descriptor in {}: {}", dir, e.getMessage());
            }
        }
    }

    /**
     * Indexes the backups of these repositories; a backup found there replaces a local descriptor
     * of the same UUID (a job whose manifest was written just before a stop).
     */
    public void loadRepositories(Collection<String> repositories) {
        for (CatalogueEntry e : manifests.load(repositories)) {
            index.put(e.backup().uuid(), e);
        }
    }

    /**
     * Writes the entry's descriptor, then indexes it. A repository backup that completed is
     * recorded by its manifest instead, and its local descriptor goes.
     */
    public CatalogueEntry put(CatalogueEntry entry) {
        synchronized (lockFor(entry.backup().uuid())) {
            if (inRepository(entry)) {
                manifests.commit(entry);
                try {
                    Files.deleteIfExists(DescriptorFile.in(entry.directory()));
                } catch (IOException e) {
                    LOG.warn("Cannot remove the local descriptor of {}, recorded in its repository: {}",
                            entry.backup().uuid(), e.getMessage());
                }
            } else {
                DescriptorFile.write(entry.directory(), xml.write(entry.backup(), entry.domainXml()));
            }
            index.put(entry.backup().uuid(), entry);
            return entry;
        }
    }

    /**
     * Lists a repository again, as another host sharing it may have changed it: backups whose
     * manifests appeared are added, completed ones whose manifests went are dropped (each checked
     * once more under its lock: this host may have just written it). Returns {added, removed}.
     */
    public int[] refreshRepository(String repository) {
        Set<UUID> stored = manifests.stored(repository);
        Set<UUID> fresh = new HashSet<>(stored);
        fresh.removeAll(index.keySet());
        int added = 0;
        for (CatalogueEntry e : manifests.load(repository, fresh)) {
            if (index.putIfAbsent(e.backup().uuid(), e) == null) {
                added++;
            }
        }
        int removed = 0;
        for (CatalogueEntry e : index.values()) {
            Backup b = e.backup();
            if (inRepository(e) && b.disks().get(0).target().equals(repository) && !stored.contains(b.uuid())) {
                synchronized (lockFor(b.uuid())) {
                    if (!Files.exists(DescriptorFile.in(e.directory())) && !manifests.holds(repository, b.uuid())
                            && index.remove(b.uuid()) != null) {
                        removed++;
                    }
                }
            }
        }
        refreshDamage(repository);
        return new int[] {added, removed};
    }

    /** Marks the listed backups of a repository damaged, and the others whole, as its damage records say now. */
    public void refreshDamage(String repository) {
        Set<UUID> damaged = manifests.damaged(repository);
        for (CatalogueEntry e : index.values()) {
            Backup b = e.backup();
            if (inRepository(e) && b.disks().get(0).target().equals(repository) && b.damaged() != damaged.contains(b.uuid())) {
                index.computeIfPresent(b.uuid(), (u, old) -> old.with(old.backup().withDamaged(damaged.contains(u))));
            }
        }
    }

    /** Records a new state of a known backup. */
    public CatalogueEntry update(Backup backup) {
        CatalogueEntry current = require(backup.uuid());
        return put(current.with(backup));
    }

    /**
     * Forgets a backup: its descriptor is deleted, then its index entry. Its other files are the
     * caller's business, and go after this: a crash in between leaves unlisted files, never a
     * listed backup without data.
     */
    public void delete(UUID uuid) {
        CatalogueEntry entry = index.get(uuid);
        if (entry == null) {
            return;
        }
        synchronized (lockFor(uuid)) {
            if (inRepository(entry)) {
                manifests.remove(entry);
            }
            try {
                Files.deleteIfExists(DescriptorFile.in(entry.directory()));
            } catch (IOException e) {
                throw new BackupException(ErrorCode.IO_ERROR, "cannot delete the descriptor of " + uuid + ": "
                        + e.getMessage(), e);
            }
            index.remove(uuid);
        }
    }

    /** Whether the directory holds a descriptor file, listed or not (one that cannot be read is not listed). */
    public boolean hasDescriptor(Path directory) {
        return Files.exists(DescriptorFile.in(directory));
    }

    public Optional<CatalogueEntry> get(UUID uuid) {
        return Optional.ofNullable(index.get(uuid));
    }

    public CatalogueEntry require(UUID uuid) {
        if (uuid == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no backup UUID given");
        }
        return get(uuid).orElseThrow(() -> new BackupException(ErrorCode.NO_BACKUP, "no backup with UUID " + uuid
                + (manifests.unreadable().isEmpty() ? "" : " (repositories whose backups cannot be listed: "
                        + manifests.unreadable() + ")")));
    }

    /** Every entry, oldest first. */
    public List<CatalogueEntry> all() {
        return index.values().stream()
                .sorted(Comparator.comparing((CatalogueEntry e) -> e.backup().creationTime())
                        .thenComparing(e -> e.backup().uuid()))
                .toList();
    }

    /** Every backup, oldest first. */
    public List<Backup> backups() {
        return all().stream().map(CatalogueEntry::backup).toList();
    }

    /** The backups of a domain (by name or UUID; {@code null}: every domain), filtered by the flags. */
    public List<Backup> list(String domain, Set<ListFlag> flags) {
        List<Backup> all = backups();
        List<Backup> candidates = domain == null ? all
                : all.stream().filter(b -> b.domain().name().equals(domain)
                        || b.domain().uuid().toString().equalsIgnoreCase(domain)).toList();
        return BackupFilter.apply(candidates, all, flags);
    }

    /** A backup's children, or with {@link ListFlag#DESCENDANTS} its whole subtree, filtered by the flags. */
    public List<Backup> children(UUID uuid, Set<ListFlag> flags) {
        require(uuid);
        List<Backup> all = backups();
        boolean deep = flags != null && flags.contains(ListFlag.DESCENDANTS);
        List<Backup> found = new ArrayList<>();
        Deque<UUID> todo = new ArrayDeque<>(List.of(uuid));
        while (!todo.isEmpty()) {
            UUID parent = todo.pop();
            for (Backup b : all) {
                if (parent.equals(b.parent())) {
                    found.add(b);
                    if (deep) {
                        todo.add(b.uuid());
                    }
                }
            }
        }
        return BackupFilter.apply(found, all, flags);
    }

    /** How many ancestors a backup has in the catalogue. */
    public int depth(Backup b) {
        int depth = 0;
        for (UUID p = b.parent(); p != null; p = get(p).map(e -> e.backup().parent()).orElse(null)) {
            depth++;
        }
        return depth;
    }

    /** Whether the entry is recorded by a manifest: a repository backup that completed. */
    public static boolean inRepository(CatalogueEntry entry) {
        return entry.backup().inRepository() && entry.backup().state() == JobState.COMPLETED;
    }

    private Object lockFor(UUID uuid) {
        return locks.computeIfAbsent(uuid, u -> new Object());
    }
}
