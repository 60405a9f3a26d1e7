package org.virtbackup.impl.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DomainRef;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.libvirt.StoragePools;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.impl.repository.Repositories;
import org.virtbackup.impl.repository.RepositoryUrl;
import org.virtbackup.spi.StorageTarget;

/**
 * Where each domain's backups go: the global target unless the domain has its own, a directory,
 * a libvirt storage pool, a repository, or a StorageTarget service of another kind (registered
 * by another bundle). A directory or a service holds a backup whole (descriptor and images); with
 * a pool, the descriptor stays in the global target and the images are volumes of the pool; with
 * a repository, a backup's directory in the global target holds its descriptor while it runs
 * (and after, if it fails), its manifest in the repository once it completed. Without a target of
 * its own, a domain's backups go to the repository {@code repository.url} when one is set. The
 * settings persist in {@link TargetSettings}.
 */
public final class StorageRouter {

    private static final Logger LOG = LoggerFactory.getLogger(StorageRouter.class);

    private final StorageTarget global;
    private final Path globalRoot;
    private final TargetSettings settings;
    private final DirectoryCheck directoryCheck;
    private final StoragePools pools;
    private final BackupImages images;
    private final PlacedImages placed;
    private final TargetRegistry targets;
    private final Repositories repositories;

    /**
     * @param global the configured target ({@code target.directory}), rooted at {@code globalRoot}
     * @param roots the directories per-domain target directories must lie in
     */
    public StorageRouter(StorageTarget global, Path globalRoot, List<Path> roots, StoragePools pools, QemuAccess qemu,
            Repositories repositories) {
        this.repositories = repositories;
        this.global = global;
        this.globalRoot = globalRoot;
        this.settings = new TargetSettings(globalRoot);
        this.directoryCheck = new DirectoryCheck(globalRoot, roots);
        this.pools = pools;
        this.images = new BackupImages(pools);
        this.targets = new TargetRegistry(globalRoot, global, qemu);
        this.placed = new PlacedImages(roots, targets::directoryRoots, pools, qemu);
        Set<Path> used = new HashSet<>();
        settings.load(used);
        used.stream().filter(Files::isDirectory).forEach(targets::directory);
        settings.all().stream().filter(t -> t.type().equals(BackupTarget.DIRECTORY))
                .forEach(t -> targets.directory(Path.of(t.value())));
    }

    /**
     * Creates a new backup's directory (descriptor, journal, and images unless in a pool) in the
     * domain's target, checked again first: it may have become unusable since it was set. It is
     * opened to QEMU's user until its job ends: a push-mode job's QEMU writes the images.
     */
    public Path create(DomainRef domain, UUID backup) {
        Path dir = make(domain, backup);
        try {
            openToQemu(List.of(dir));
        } catch (RuntimeException e) {
            try {
                remove(backup, List.of(), dir);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return dir;
    }

    /**
     * {@link #create} for a backup into a repository, not opened to QEMU: the directory holds
     * the backup's descriptor and journal while it runs, and QEMU never enters it (its scratch
     * files and socket have directories of their own).
     */
    public Path createForRepository(DomainRef domain, UUID backup) {
        return make(domain, backup);
    }

    private Path make(DomainRef domain, UUID backup) {
        BackupTarget t = settings.get(domain.uuid()).orElse(null);
        if (t != null) {
            check(t, true);
        }
        StorageTarget target = t == null || t.type().equals(BackupTarget.POOL) || t.type().equals(BackupTarget.REPOSITORY)
                ? global
                : t.isService() ? targets.kind(t.type()) : targets.directory(Path.of(t.value()));
        Path dir = target.create(domain, backup).toAbsolutePath().normalize();
        targets.made(dir, target);
        return dir;
    }

    /**
     * Where a disk image of a new backup goes: in its directory, or a new volume of the domain's
     * pool named after the backup (created now, through libvirt).
     */
    public Path image(DomainRef domain, Path backupDirectory, UUID backup, String disk, long capacity) {
        BackupTarget t = settings.get(domain.uuid()).orElse(null);
        if (t == null || !t.type().equals(BackupTarget.POOL)) {
            return backupDirectory.resolve(disk + ".qcow2");
        }
        return pools.create(t.value(), backup + "-" + disk + ".qcow2", capacity);
    }

    /** Where per-disk targets put their images ({@link PlacedImages}). */
    public PlacedImages placed() {
        return placed;
    }

    /** The repository the domain's next backup goes into: its own target, else {@code repository.url}; empty: none. */
    public Optional<String> repositoryFor(UUID domain) {
        BackupTarget t = settings.get(domain).orElse(null);
        if (t != null) {
            return t.type().equals(BackupTarget.REPOSITORY) ? Optional.of(t.value()) : Optional.empty();
        }
        return repositories.defaultUrl();
    }

    /** Every repository in use: {@code repository.url} and the domains' own; their backups are in the catalogue. */
    public Set<String> repositories() {
        Set<String> urls = new LinkedHashSet<>();
        repositories.defaultUrl().ifPresent(urls::add);
        settings.all().stream().filter(t -> t.type().equals(BackupTarget.REPOSITORY)).map(BackupTarget::value)
                .forEach(urls::add);
        return urls;
    }

    /** The local directory of a repository backup: in the global target, where it ran. */
    public Path localDirectory(DomainRef domain, UUID backup) {
        return globalRoot.resolve(domain.uuid().toString()).resolve(backup.toString());
    }

    /** Adds a StorageTarget service; returns the backup directories it holds that are not known yet. */
    public List<Path> addKind(String kind, StorageTarget target) {
        return targets.addKind(kind, target);
    }

    /** Removes a StorageTarget service: its kind is refused until one is registered again. */
    public void removeKind(String kind, StorageTarget target) {
        targets.removeKind(kind, target);
    }

    /** The domain's own target, if one is set. */
    public Optional<BackupTarget> get(UUID domain) {
        return settings.get(domain);
    }

    /**
     * Checks a target: a writable directory inside the roots (created 0700 if missing), an active
     * pool of files, or a registered kind; returns it with a directory's path normalised.
     */
    private BackupTarget check(BackupTarget t, boolean create) {
        if (t.isService()) {
            targets.kind(t.type());
            return t;
        }
        if (t.type().equals(BackupTarget.POOL)) {
            pools.require(t.value());
            return t;
        }
        if (t.type().equals(BackupTarget.REPOSITORY)) {
            return BackupTarget.repository(repositories.check(t.value(), !create));
        }
        return BackupTarget.directory(directoryCheck.check(t.value(), create).toString());
    }

    /** Bytes free where the domain's next backup images go. */
    public long available(DomainRef domain) {
        BackupTarget own = settings.get(domain.uuid()).orElse(null);
        return available(own != null ? own : repositories.defaultUrl().map(BackupTarget::repository)
                .orElse(BackupTarget.directory(globalRoot.toString())));
    }

    /** Bytes free in a (checked) target. */
    public long available(BackupTarget t) {
        if (t.isService()) {
            return targets.kind(t.type()).usableSpace();
        }
        if (t.type().equals(BackupTarget.POOL)) {
            return pools.available(t.value());
        }
        if (t.type().equals(BackupTarget.REPOSITORY) && !RepositoryUrl.parse(t.value()).local()) {
            return Long.MAX_VALUE; // object storage tells no free space: a quota shows as a failed upload
        }
        return DirectoryCheck.usableSpace(t.value(), t.type().equals(BackupTarget.REPOSITORY)
                ? RepositoryUrl.parse(t.value()).directory() : Path.of(t.value()));
    }

    /**
     * Checks a target for the domain (usable, with room for a full backup of it) and, unless
     * {@code validateOnly}, makes it the domain's; {@link BackupTarget#global()} clears it.
     */
    public void assign(LibvirtDomain domain, BackupTarget target, boolean validateOnly) {
        DomainRef ref = domain.ref();
        if (target.type().equals(BackupTarget.GLOBAL)) {
            if (!validateOnly) {
                set(ref.uuid(), target);
                LOG.info("Backups of {} go to the global target again", ref.name());
            }
            return;
        }
        BackupTarget checked = check(target, !validateOnly);
        RoomCheck.require(available(checked), domain, domain.disks());
        if (!validateOnly) {
            set(ref.uuid(), checked);
            LOG.info("Backups of {} go to {} {}", ref.name(), checked.type(), checked.value());
        }
    }

    /** Sets (a checked target) or clears ({@link BackupTarget#global()}) the domain's target, and persists it. */
    synchronized void set(UUID domain, BackupTarget t) {
        boolean global = t.type().equals(BackupTarget.GLOBAL)
                || t.type().equals(BackupTarget.DIRECTORY) && Path.of(t.value()).equals(globalRoot);
        if (!global && t.type().equals(BackupTarget.DIRECTORY)) {
            targets.directory(Path.of(t.value()));
        }
        settings.put(domain, global ? null : t, targets.directoryRoots().stream().filter(d -> !d.equals(globalRoot)).toList());
    }

    /**
     * The directories of the backups in every directory ever used and in every StorageTarget
     * service that this router has neither listed nor created before: what the catalogue has yet to load.
     */
    public List<Path> backups() {
        return targets.unlisted();
    }

    /** QEMU's user may pass into a backup's directory (our directory targets only; pools are libvirt's). */
    public void openToQemu(List<Path> backupDirectories) {
        targets.directoryTargets().forEach(t -> t.openToQemu(backupDirectories.stream().filter(t::holds).toList()));
    }

    /** QEMU's user no longer needs the backup's directory (its job ended, or its instant restores). */
    public void closeToQemu(Path backupDirectory) {
        try {
            targets.directoryTargets().filter(t -> t.holds(backupDirectory)).forEach(t -> t.closeToQemu(backupDirectory));
        } catch (RuntimeException e) { // the backup is whole; QEMU's user may only still pass
            LOG.warn("Cannot take back QEMU's access to {}: {}", backupDirectory, e.getMessage());
        }
    }

    /** Removes a backup's images, and then its directory with what is left in it, through the target keeping it. */
    public void remove(Backup backup, Path backupDirectory) {
        remove(backup.uuid(), backup.disks(), backupDirectory);
    }

    /** {@link #remove(Backup, Path)} for a backup not yet recorded. */
    public void remove(UUID backup, List<BackupDisk> disks, Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        StorageTarget owner = targets.owner(dir);
        images.remove(backup, disks, dir);
        owner.remove(dir);
        targets.removed(dir);
    }

    /** Removes a backup's images ({@link BackupImages}), leaving its directory. */
    public void removeImages(Backup backup, Path backupDirectory) {
        images.remove(backup.uuid(), backup.disks(), backupDirectory);
    }
}
