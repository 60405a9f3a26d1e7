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
 * Where each domain's backups go: the global target unless the domain has its own, a directory
 * or a libvirt storage pool. A directory holds a backup whole (descriptor and images); with a
 * pool, the descriptor stays in the global target and the images are volumes of the pool.
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

    /** The target that keeps a new backup's directory (descriptor, journal, and images unless in a pool). */
    public StorageTarget forDomain(DomainRef domain) {
        TargetXml t = byDomain.get(domain.uuid());
        return t == null || t.kind().equals("pool") ? global : target(Path.of(t.value()));
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
        if (t == null || t.kind().equals("dir")) {
            return backupDirectory.resolve(disk + ".qcow2");
        }
        return pools.create(t.value(), backup + "-" + disk + ".qcow2", capacity);
    }

    /** Checks a target: a writable directory inside the roots, or an active pool of files. */
    public TargetXml check(TargetXml t) {
        if (t.kind().equals("pool")) {
            pools.require(t.value());
            return t;
        }
        return new TargetXml("dir", checkDirectory(t.value()).toString());
    }

    /** Bytes free where the domain's next backup images go. */
    public long available(DomainRef domain) {
        return available(byDomain.getOrDefault(domain.uuid(), new TargetXml("dir", globalRoot.toString())));
    }

    /** Bytes free in a (checked) target. */
    public long available(TargetXml t) {
        if (t.kind().equals("pool")) {
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
        if (t == null || t.kind().equals("dir") && Path.of(t.value()).equals(globalRoot)) {
            byDomain.remove(domain);
        } else {
            byDomain.put(domain, t);
            if (t.kind().equals("dir")) {
                target(Path.of(t.value()));
            }
        }
        save();
    }

    /** The directories of every backup in any target ever used. */
    public List<Path> backups() {
        List<Path> all = new ArrayList<>();
        targets.values().forEach(t -> all.addAll(t.backups()));
        return all;
    }

    /** Removes a backup's images, and then its directory with what is left in it. */
    public void remove(Backup backup, Path backupDirectory) {
        removeImages(backup, backupDirectory);
        Path dir = backupDirectory.toAbsolutePath().normalize();
        targets.keySet().stream().filter(dir::startsWith)
                .max((a, b) -> Integer.compare(a.getNameCount(), b.getNameCount()))
                .map(targets::get)
                .orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET, dir + " is in no known target"))
                .remove(dir);
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
            if (t.kind().equals("dir")) {
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
            p.store(text, "virt-backup: per-domain default targets (domain UUID = dir:PATH or pool:NAME) and directories in use");
            Path tmp = Files.createTempFile(file.getParent(), ".default-targets", ".tmp",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_FILE));
            Files.writeString(tmp, text.toString());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot save " + file + ": " + e.getMessage(), e);
        }
    }
}
