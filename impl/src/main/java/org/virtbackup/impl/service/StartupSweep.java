package org.virtbackup.impl.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.chain.MergeIntent;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.restore.RestoreIntent;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * Removes at activation, after the merge and restore recoveries, what a service cut short left
 * behind that no backup owns, and logs each removal:
 * <ul>
 * <li>a backup directory without a descriptor, and without a merge or restore record to finish:
 * a start cut short before its backup was recorded, or a deletion after its descriptor went;</li>
 * <li>a temporary ({@code .NAME.tmp}) of a small file whose rename never happened;</li>
 * <li>a checkpoint named {@code vb-UUID} whose backup is neither listed nor has a directory (one
 * with an unreadable descriptor keeps its checkpoint); domains whose backups live in a StorageTarget
 * service that is not registered yet are left alone, as their backups are not known;</li>
 * <li>an NBD socket {@code UUID.sock} of a backup not running.</li>
 * </ul>
 * Nothing here is read through by a listed backup: a directory whose descriptor went either never
 * had children, or lost them all to the merge whose record is kept.
 */
final class StartupSweep {

    private static final Logger LOG = LoggerFactory.getLogger(StartupSweep.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final Libvirt libvirt;
    private final Checkpoints checkpoints;
    private final Path runtimeDirectory;

    StartupSweep(Catalogue catalogue, StorageRouter storage, Libvirt libvirt, Checkpoints checkpoints,
            Path runtimeDirectory) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.libvirt = libvirt;
        this.checkpoints = checkpoints;
        this.runtimeDirectory = runtimeDirectory;
    }

    /** Sweeps around the backup directories the catalogue was loaded from. */
    void sweep(List<Path> backupDirectories) {
        Set<UUID> owners = new HashSet<>();
        catalogue.all().forEach(e -> owners.add(e.backup().uuid()));
        for (Path dir : backupDirectories) {
            try {
                directory(dir);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot sweep {}: {}", dir, e.getMessage());
            }
            if (Files.isDirectory(dir)) { // kept: an unreadable descriptor may name the checkpoint
                uuidOf(dir.getFileName().toString()).ifPresent(owners::add);
            }
        }
        checkpoints(owners);
        sockets();
    }

    private void directory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return; // a merge recovery removed it
        }
        if (catalogue.hasDescriptor(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(StartupSweep::isTemporary).toList()) {
                    Files.deleteIfExists(f);
                    LOG.warn("Removed {}: a temporary whose rename a stop cut short", f);
                }
            }
            return;
        }
        if (MergeIntent.pendingIn(dir) || RestoreIntent.pendingIn(dir)) {
            LOG.error("Keeping {}: it has no descriptor but a merge or restore record that was not finished", dir);
            return;
        }
        Optional<UUID> uuid = uuidOf(dir.getFileName().toString());
        if (uuid.isEmpty()) {
            LOG.warn("Keeping {}: not a backup's directory (its name is no UUID)", dir);
            return;
        }
        storage.remove(uuid.get(), List.of(), dir);
        LOG.warn("Removed {}: the directory of backup {}, cut short before it was recorded or while it was deleted",
                dir, uuid.get());
    }

    private static boolean isTemporary(Path f) {
        String name = f.getFileName().toString();
        return name.startsWith(".") && name.endsWith(".tmp") && Files.isRegularFile(f);
    }

    private void checkpoints(Set<UUID> owners) {
        Set<UUID> unknown = storage.domainsWithAbsentTargets();
        List<DomainRef> domains;
        try {
            domains = libvirt.domains();
        } catch (BackupException e) {
            LOG.warn("Cannot look for checkpoints left behind: {}", e.getMessage());
            return;
        }
        for (DomainRef ref : domains) {
            if (unknown.contains(ref.uuid())) {
                LOG.info("Not sweeping the checkpoints of {}: its target's StorageTarget service is not registered", ref.name());
                continue;
            }
            try {
                LibvirtDomain domain = libvirt.domain(ref.uuid().toString());
                for (String name : domain.checkpoints()) {
                    Optional<UUID> backup = Checkpoints.backupOf(name);
                    if (backup.isPresent() && !owners.contains(backup.get())) {
                        checkpoints.delete(domain, name);
                        LOG.warn("Removed checkpoint {} of {}: no backup owns it", name, ref.name());
                    }
                }
            } catch (BackupException e) {
                LOG.warn("Cannot sweep the checkpoints of {}: {}", ref.name(), e.getMessage());
            }
        }
    }

    private void sockets() {
        if (!Files.isDirectory(runtimeDirectory)) {
            return;
        }
        try (Stream<Path> files = Files.list(runtimeDirectory)) {
            for (Path f : files.toList()) {
                Optional<UUID> backup = uuidOf(f.getFileName().toString().replaceFirst("\\.sock$", ""))
                        .filter(u -> f.getFileName().toString().endsWith(".sock"));
                if (backup.isPresent() && !running(backup.get())) {
                    Files.deleteIfExists(f);
                    LOG.warn("Removed {}: the NBD socket of backup {}, which is not running", f, backup.get());
                }
            }
        } catch (IOException e) {
            LOG.warn("Cannot sweep the sockets in {}: {}", runtimeDirectory, e.getMessage());
        }
    }

    private boolean running(UUID backup) {
        return catalogue.get(backup).map(CatalogueEntry::backup).map(b -> b.state() == JobState.RUNNING).orElse(false);
    }

    private static Optional<UUID> uuidOf(String name) {
        try {
            UUID uuid = UUID.fromString(name);
            return uuid.toString().equals(name) ? Optional.of(uuid) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
