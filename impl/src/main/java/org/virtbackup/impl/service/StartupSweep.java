package org.virtbackup.impl.service;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.chain.MergeIntent;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.qemu.LeftServers;
import org.virtbackup.impl.restore.RestoreIntent;
import org.virtbackup.impl.storage.StorageRouter;

/**
 * Removes at activation, after the merge and restore recoveries, what a start or a deletion cut
 * short left, on positive evidence only, and logs each removal:
 * <ul>
 * <li>a backup directory without a descriptor but with a {@link DirectoryMarks mark}, with the
 * backup's {@code vb-UUID} checkpoint: a start cut short before it recorded its backup, or a
 * deletion after its descriptor went;</li>
 * <li>a temporary ({@code .NAME.tmp}) of a small file whose rename never happened, in the
 * directory of a backup that is not running (a running job's journal may be mid-write);</li>
 * <li>an NBD socket {@code UUID.sock} of a backup not running that nothing listens on;</li>
 * <li>a qemu-nbd server whose JVM is gone (its pid file in the runtime directory), with its files.</li>
 * </ul>
 * A directory without a descriptor or a mark stays (a backup forgotten with METADATA_ONLY, a
 * nested target), and so does one holding a merge or restore record its recovery could not
 * finish, and every {@code vb-*} checkpoint without such a directory: another installation, or a
 * test, may share the libvirtd. A mark beside a descriptor is stale, and cleared. Each domain's directories are swept holding
 * the domain, so a create or an edit still under way in an older instance is never swept.
 */
final class StartupSweep {

    private static final Logger LOG = LoggerFactory.getLogger(StartupSweep.class);

    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final Libvirt libvirt;
    private final Checkpoints checkpoints;
    private final DomainLocks locks;
    private final Path runtimeDirectory;

    /** @param locks domain locks that do not wait: a domain busy now is swept at the next start */
    StartupSweep(Catalogue catalogue, StorageRouter storage, Libvirt libvirt, Checkpoints checkpoints, DomainLocks locks,
            Path runtimeDirectory) {
        this.catalogue = catalogue;
        this.storage = storage;
        this.libvirt = libvirt;
        this.checkpoints = checkpoints;
        this.locks = locks;
        this.runtimeDirectory = runtimeDirectory;
    }

    /** Sweeps the backup directories the catalogue was loaded from, and the runtime directory. */
    void sweep(List<Path> backupDirectories) {
        for (Path dir : backupDirectories) {
            Optional<DirectoryMarks.Mark> mark = DirectoryMarks.in(dir);
            Optional<UUID> domain = mark.map(DirectoryMarks.Mark::domain).or(() -> uuidOf(dir.getParent().getFileName()
                    .toString()));
            if (domain.isEmpty()) {
                continue; // not a domain's directory of a directory target, nor marked: nothing to do
            }
            try (DomainLocks.Held held = locks.hold(new DomainRef("(sweep)", domain.get()), DomainLocks.Access.EDIT,
                    "the start-up sweep")) {
                directory(dir, mark);
            } catch (BackupException e) {
                if (e.code() == ErrorCode.DOMAIN_BUSY) {
                    LOG.info("Not sweeping {} now: {}", dir, e.getMessage());
                } else {
                    LOG.warn("Cannot sweep {}: {}", dir, e.getMessage());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot sweep {}: {}", dir, e.getMessage());
            }
        }
        sockets();
    }

    private void directory(Path dir, Optional<DirectoryMarks.Mark> mark) throws IOException {
        if (!Files.isDirectory(dir)) {
            return; // a merge recovery removed it
        }
        Optional<CatalogueEntry> inRepository = uuidOf(dir.getFileName().toString()).flatMap(catalogue::get)
                .filter(Catalogue::inRepository);
        if (inRepository.isPresent()) {
            if (MergeIntent.pendingIn(dir) || RestoreIntent.pendingIn(dir)) {
                LOG.error("Keeping {}: a restore recorded there could not be finished", dir);
                return;
            }
            // Its manifest is its record: a stop came between writing it and removing the directory it ran in.
            storage.remove(inRepository.get().backup(), dir);
            LOG.warn("Removed {}: backup {} is recorded in its repository", dir, inRepository.get().backup().uuid());
            return;
        }
        if (catalogue.hasDescriptor(dir)) {
            // Still recorded: a mark is stale (its step did not go on), and a later METADATA_ONLY must not find it.
            mark.ifPresent(m -> DirectoryMarks.clear(dir));
            temporaries(dir);
            return;
        }
        Optional<UUID> backup = uuidOf(dir.getFileName().toString());
        if (mark.isEmpty() || backup.isEmpty()) {
            return; // no evidence it is a backup cut short: it stays
        }
        if (MergeIntent.pendingIn(dir) || RestoreIntent.pendingIn(dir)) {
            LOG.error("Keeping {}: a merge or a restore recorded there could not be finished", dir);
            return;
        }
        if (mark.get().deleting()) { // a start cut short made no checkpoint yet
            libvirt.find(mark.get().domain()).ifPresent(d -> checkpoints.delete(d, Checkpoints.nameFor(backup.get())));
        }
        storage.remove(backup.get(), List.of(), dir);
        LOG.warn("Removed {}{}: backup {} was cut short {}", dir, mark.get().deleting() ? " and checkpoint "
                + Checkpoints.nameFor(backup.get()) : "", backup.get(), mark.get().deleting() ? "while it was deleted"
                : "before it was recorded");
    }

    private void temporaries(Path dir) throws IOException {
        Optional<Backup> listed = uuidOf(dir.getFileName().toString()).flatMap(catalogue::get)
                .filter(e -> e.directory().equals(dir)).map(CatalogueEntry::backup);
        if (listed.map(b -> b.state() == JobState.RUNNING).orElse(true)) {
            return; // a running job's journal may be mid-write; an unreadable descriptor is left for a human
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(StartupSweep::isTemporary).toList()) {
                Files.deleteIfExists(f);
                LOG.warn("Removed {}: a temporary whose rename a stop cut short", f);
            }
        }
    }

    private static boolean isTemporary(Path f) {
        String name = f.getFileName().toString();
        return name.startsWith(".") && name.endsWith(".tmp") && Files.isRegularFile(f);
    }

    private void sockets() {
        if (!Files.isDirectory(runtimeDirectory)) {
            return;
        }
        try {
            int stopped = LeftServers.stop(runtimeDirectory);
            if (stopped > 0) {
                LOG.warn("Stopped {} qemu-nbd or qemu-storage-daemon processes a stopped instance of the service left "
                        + "(they held images)", stopped);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot look for QEMU servers left in {}: {}", runtimeDirectory, e.getMessage());
        }
        try (Stream<Path> files = Files.list(runtimeDirectory)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".sock")).toList()) {
                Optional<UUID> backup = uuidOf(f.getFileName().toString().replaceFirst("\\.sock$", ""));
                if (backup.isPresent() && !running(backup.get()) && !listening(f)) {
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

    /** Whether a server still accepts on the socket (a job of a backup in a target not registered yet). */
    private static boolean listening(Path socket) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
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
