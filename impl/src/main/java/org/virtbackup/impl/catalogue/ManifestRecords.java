package org.virtbackup.impl.catalogue;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Where completed repository backups are recorded: as manifests in their repositories, not as
 * descriptors. The catalogue writes and deletes through it; a backup runs, fails or is
 * cancelled with a local descriptor as any other.
 */
public interface ManifestRecords {

    /** No repositories: every backup has a descriptor. */
    ManifestRecords NONE = new ManifestRecords() {
        @Override
        public void commit(CatalogueEntry entry) {
            throw new IllegalStateException("no repositories are configured to record backup " + entry.backup().uuid());
        }

        @Override
        public void remove(CatalogueEntry entry) {
            throw new IllegalStateException("no repositories are configured to remove backup " + entry.backup().uuid());
        }

        @Override
        public List<CatalogueEntry> load(Collection<String> repositories) {
            return List.of();
        }

        @Override
        public Set<UUID> damaged(String repository) {
            return Set.of();
        }

        @Override
        public Set<UUID> stored(String repository) {
            return Set.of();
        }

        @Override
        public List<CatalogueEntry> load(String repository, Set<UUID> backups) {
            return List.of();
        }

        @Override
        public boolean holds(String repository, UUID backup) {
            return false;
        }

        @Override
        public Map<String, String> unreadable() {
            return Map.of();
        }
    };

    /** Writes the manifest of a completed repository backup whose job wrote its chunks and indexes; nothing if it is written. */
    void commit(CatalogueEntry entry);

    /** Removes a repository backup's manifest, then its indexes: it is no longer listed anywhere. */
    void remove(CatalogueEntry entry);

    /** Every backup in these repositories, each with the local directory its restores and deletions use. */
    List<CatalogueEntry> load(Collection<String> repositories);

    /** The backups a repository holds a manifest of now, by name only. */
    Set<UUID> stored(String repository);

    /** These backups of a repository, read from their manifests (one gone since is left out). */
    List<CatalogueEntry> load(String repository, Set<UUID> backups);

    /** Whether the repository holds the backup's manifest now. */
    boolean holds(String repository, UUID backup);

    /** The backups of a repository that name a chunk found damaged, as recorded there now. */
    Set<UUID> damaged(String repository);

    /** The repositories whose backups could not be listed at the last load, with why (a wrong key, say). */
    Map<String, String> unreadable();
}
