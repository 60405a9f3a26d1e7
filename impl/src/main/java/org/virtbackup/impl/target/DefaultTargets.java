package org.virtbackup.impl.target;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.xml.TargetXml;
import org.virtbackup.spi.StorageTarget;

/**
 * Where each domain's backups go: the global target unless the domain has its own, a directory,
 * a libvirt storage pool, or a StorageTarget service of another kind (registered by another
 * bundle). A directory or a service holds a backup whole (descriptor and images); with a pool,
 * the descriptor stays in the global target and the images are volumes of the pool.
 * Persisted in {@code default-targets.properties} in the global target's root (0600, replaced
 * atomically), together with every directory ever used, so that backups left in a directory
 * that is no longer any domain's target are still found at start-up.
 */
public final class DefaultTargets {

    private static final Logger LOG = LoggerFactory.getLogger(DefaultTargets.class);
    private static final String FILE = "default-targets.properties";
    private static final String USED = "used.";

    private final StorageTarget global;
    private final Path globalRoot;
    private final List<Path> roots;
    private final Path file;
    private final PoolVolumes pools;
    private final Map<UUID, TargetXml> byDomain = new ConcurrentHashMap<>();
    /** Every directory target in use, by its root directory. */
    private final Map<Path, StorageTarget> targets = new ConcurrentHashMap<>();
    /** StorageTarget services, by kind. */
    private final Map<String, StorageTarget> kinds = new ConcurrentHashMap<>();
    /** Which target keeps each backup directory that was listed or created. */
    private final Map<Path, StorageTarget> owners = new ConcurrentHashMap<>();

    /**
     * @param global the configured target ({@code target.directory}), rooted at {@code globalRoot}
     * @param roots the directories per-domain target directories must lie in
     */
    public DefaultTargets(StorageTarget global, Path globalRoot, List<Path> roots, Libvirt libvirt) {
        this.global = global;
        this.globalRoot = globalRoot;
        this.roots = List.copyOf(roots);
        this.file = globalRoot.resolve(FILE);
        this.pools = new PoolVolumes(libvirt);
        targets.put(globalRoot, global);
        load();
    }

    /**
     * Creates a new backup's directory (descriptor, journal, and images unless in a pool) in the
     * domain's target, checked again first: it may have become unusable since it was set.
     */
    public Path create(DomainRef domain, UUID backup) {
        TargetXml t = byDomain.get(domain.uuid());
        if (t != null) {
            check(t);
        }
        StorageTarget target = t == null || t.kind().equals(TargetXml.POOL) ? global
                : t.isService() ? kind(t.kind()) : target(Path.of(t.value()));
        Path dir = target.create(domain, backup).toAbsolutePath().normalize();
        owners.put(dir, target);
        return dir;
    }

    /** Adds a StorageTarget service; returns the backup directories it holds that are not known yet. */
    public List<Path> addKind(String kind, StorageTarget target) {
        kinds.put(kind, target);
        return list(target);
    }

    /** Removes a StorageTarget service: its kind is refused until one is registered again. */
    public void removeKind(String kind, StorageTarget target) {
        kinds.remove(kind, target);
        owners.values().removeIf(t -> t == target);
    }

    private StorageTarget kind(String kind) {
        StorageTarget t = kinds.get(kind);
        if (t == null) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "no StorageTarget service of kind '" + kind
                    + "' is registered (service property " + StorageTarget.KIND + "=" + kind
                    + "): is the bundle providing it active?");
        }
        return t;
    }

    /** The domain's own target, if one is set. */
    public Optional<TargetXml> get(UUID domain) {
        return Optional.ofNullable(byDomain.get(domain));
    }

    /**
     * Where a disk image of a new backup goes: in its directory, or a new volume of the domain's
     * pool named after the backup (created now, through libvirt).
     */
    public Path image(DomainRef domain, Path backupDirectory, UUID backup, String disk, long capacity) {
        TargetXml t = byDomain.get(domain.uuid());
        if (t == null || !t.kind().equals(TargetXml.POOL)) {
            return backupDirectory.resolve(disk + ".qcow2");
        }
        return pools.create(t.value(), backup + "-" + disk + ".qcow2", capacity);
    }

    /** Checks a target: a writable directory inside the roots, an active pool of files, or a registered kind. */
    public TargetXml check(TargetXml t) {
        if (t.isService()) {
            kind(t.kind());
            return t;
        }
        if (t.kind().equals(TargetXml.POOL)) {
            pools.require(t.value());
            return t;
        }
        return new TargetXml(TargetXml.DIR, checkDirectory(t.value()).toString());
    }

    /** Bytes free where the domain's next backup images go. */
    public long available(DomainRef domain) {
        return available(byDomain.getOrDefault(domain.uuid(), new TargetXml(TargetXml.DIR, globalRoot.toString())));
    }

    /** Bytes free in a (checked) target. */
    public long available(TargetXml t) {
        if (t.isService()) {
            return kind(t.kind()).usableSpace();
        }
        if (t.kind().equals(TargetXml.POOL)) {
            return pools.available(t.value());
        }
        try {
            return Files.getFileStore(Path.of(t.value())).getUsableSpace();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read the free space of " + t.value() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Sets ({@code t} non-null) or clears the domain's target, and persists it. */
    public synchronized void set(UUID domain, TargetXml t) {
        if (t == null || t.kind().equals(TargetXml.DIR) && Path.of(t.value()).equals(globalRoot)) {
            byDomain.remove(domain);
        } else {
            byDomain.put(domain, t);
            if (t.kind().equals(TargetXml.DIR)) {
                target(Path.of(t.value()));
            }
        }
        save();
    }

    /** The directories of every backup in any directory ever used and in every StorageTarget service. */
    public List<Path> backups() {
        List<Path> all = new ArrayList<>();
        targets.values().forEach(t -> all.addAll(list(t)));
        kinds.values().forEach(t -> all.addAll(list(t)));
        return all;
    }

    /** The target's backup directories not listed before, now owned by it. */
    private List<Path> list(StorageTarget target) {
        List<Path> found = new ArrayList<>();
        for (Path p : target.backups()) {
            Path dir = p.toAbsolutePath().normalize();
            if (owners.putIfAbsent(dir, target) == null) {
                found.add(dir);
            }
        }
        return found;
    }

    /** Removes a backup's images, and then its directory with what is left in it, through the target keeping it. */
    public void remove(Backup backup, Path backupDirectory) {
        remove(backup.uuid(), backup.disks(), backupDirectory);
    }

    /** {@link #remove(Backup, Path)} for a backup not yet recorded. */
    public void remove(UUID backup, List<BackupDisk> disks, Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        StorageTarget owner = owners.get(dir);
        if (owner == null) { // found before owners were kept, or its StorageTarget service has gone
            owner = targets.keySet().stream().filter(dir::startsWith)
                    .max((a, b) -> Integer.compare(a.getNameCount(), b.getNameCount()))
                    .map(targets::get)
                    .orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET, dir + " is in no known target "
                            + "(is the bundle of the StorageTarget service that keeps it active?)"));
        }
        removeImages(backup, disks, dir);
        owner.remove(dir);
        owners.remove(dir);
    }

    /**
     * Removes a backup's images: files in its own directory, or its volumes in a pool; nothing
     * else, whatever its descriptor says.
     */
    public void removeImages(Backup backup, Path backupDirectory) {
        removeImages(backup.uuid(), backup.disks(), backupDirectory);
    }

    /** {@link #removeImages(Backup, Path)} for disks not yet recorded. */
    public void removeImages(UUID backup, List<BackupDisk> disks, Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        for (BackupDisk d : disks) {
            if (d.target().isEmpty()) {
                continue; // an unmanaged backup's disk: nothing stored
            }
            Path image = Path.of(d.target()).toAbsolutePath().normalize();
            try {
                if (image.startsWith(dir)) {
                    Files.deleteIfExists(image);
                } else if (!pools.delete(image, backup.toString()) && Files.exists(image)) {
                    LOG.warn("Not removing {} of backup {}: neither in its directory nor a volume of a pool", image, backup);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cannot remove {} of backup {}: {}", image, backup, e.getMessage());
            }
        }
    }

    private Path checkDirectory(String path) {
        if (path == null || path.isBlank() || !Path.of(path).isAbsolute()) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "a target directory must be an absolute path, not '" + path + "'");
        }
        Path dir = Path.of(path).normalize();
        if (!dir.startsWith(globalRoot) && roots.stream().noneMatch(dir::startsWith)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, dir + " is outside the allowed target roots " + roots
                    + " (configuration key target.roots)");
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, dir + " exists and is not a directory");
        }
        try {
            Paths.privateDirectory(dir);
            Path probe = Files.createTempFile(dir, ".write-check", "");
            Files.delete(probe);
        } catch (IOException | UncheckedIOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot write in " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    private StorageTarget target(Path dir) {
        return targets.computeIfAbsent(dir, DirectoryTarget::new);
    }

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key);
            if (key.startsWith(USED)) {
                if (Files.isDirectory(Path.of(value))) {
                    target(Path.of(value));
                }
                continue;
            }
            int colon = value.indexOf(':');
            TargetXml t = new TargetXml(value.substring(0, colon), value.substring(colon + 1));
            byDomain.put(UUID.fromString(key), t);
            if (t.kind().equals(TargetXml.DIR)) {
                target(Path.of(t.value()));
            }
        }
    }

    private void save() {
        Map<String, String> out = new TreeMap<>();
        byDomain.forEach((domain, t) -> out.put(domain.toString(), t.kind() + ":" + t.value()));
        int i = 0;
        for (Path dir : targets.keySet()) {
            if (!dir.equals(globalRoot)) {
                out.put(USED + i++, dir.toString());
            }
        }
        Properties p = new Properties();
        p.putAll(out);
        try {
            StringWriter text = new StringWriter();
            p.store(text, "virt-backup: per-domain default targets (domain UUID = dir:PATH, pool:NAME or KIND:) and "
                    + "directories in use");
            Path tmp = Files.createTempFile(file.getParent(), ".default-targets", ".tmp",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_FILE));
            Files.writeString(tmp, text.toString());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot save " + file + ": " + e.getMessage(), e);
        }
    }
}
