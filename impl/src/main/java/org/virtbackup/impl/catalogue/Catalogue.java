package org.virtbackup.impl.catalogue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.impl.xml.Descriptor;

/**
 * The source of truth for our backups: one descriptor file per backup, in the backup's own
 * directory, indexed in memory by UUID. Every change is on disk before it is in the index.
 */
public final class Catalogue {

    private static final Logger LOG = LoggerFactory.getLogger(Catalogue.class);

    private final BackupXml xml;
    private final Map<UUID, CatalogueEntry> index = new ConcurrentHashMap<>();

    public Catalogue(BackupXml xml) {
        this.xml = xml;
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

    /** Writes the entry's descriptor, then indexes it. */
    public CatalogueEntry put(CatalogueEntry entry) {
        synchronized (lockFor(entry.backup().uuid())) {
            DescriptorFile.write(entry.directory(), xml.write(entry.backup(), entry.domainXml()));
            index.put(entry.backup().uuid(), entry);
            return entry;
        }
    }

    /** Records a new state of a known backup. */
    public CatalogueEntry update(Backup backup) {
        CatalogueEntry current = require(backup.uuid());
        return put(current.with(backup));
    }

    public Optional<CatalogueEntry> get(UUID uuid) {
        return Optional.ofNullable(index.get(uuid));
    }

    public CatalogueEntry require(UUID uuid) {
        if (uuid == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no backup UUID given");
        }
        return get(uuid).orElseThrow(() -> new BackupException(ErrorCode.NO_BACKUP, "no backup with UUID " + uuid));
    }

    /** Every entry, oldest first. */
    public List<CatalogueEntry> all() {
        return index.values().stream()
                .sorted(Comparator.comparing((CatalogueEntry e) -> e.backup().creationTime())
                        .thenComparing(e -> e.backup().uuid()))
                .toList();
    }

    /** Forgets a backup; its files are the caller's business. */
    public void remove(UUID uuid) {
        index.remove(uuid);
    }

    private Object lockFor(UUID uuid) {
        // Interned per UUID so two writers of the same descriptor never interleave.
        return locks.computeIfAbsent(uuid, u -> new Object());
    }

    private final Map<UUID, Object> locks = new ConcurrentHashMap<>();
}
