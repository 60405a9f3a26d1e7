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

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.spi.StorageTarget;

/**
 * Where each domain's backups go: the global target unless a per-domain directory was set.
 * Persisted in {@code default-targets.properties} in the global target's root (0600, replaced
 * atomically), together with every directory ever used, so that backups left in a directory
 * that is no longer any domain's default are still found at start-up.
 */
public final class DefaultTargets {

    private static final String FILE = "default-targets.properties";
    private static final String USED = "used.";

    private final StorageTarget global;
    private final Path globalRoot;
    private final List<Path> roots;
    private final Path file;
    private final Map<UUID, Path> byDomain = new ConcurrentHashMap<>();
    /** Every target in use, by its root directory. */
    private final Map<Path, StorageTarget> targets = new ConcurrentHashMap<>();

    /**
     * @param global the configured target ({@code target.directory}), rooted at {@code globalRoot}
     * @param roots the directories per-domain targets must lie in
     */
    public DefaultTargets(StorageTarget global, Path globalRoot, List<Path> roots) {
        this.global = global;
        this.globalRoot = globalRoot;
        this.roots = List.copyOf(roots);
        this.file = globalRoot.resolve(FILE);
        targets.put(globalRoot, global);
        load();
    }

    /** The target a new backup of this domain goes to. */
    public StorageTarget forDomain(DomainRef domain) {
        Path dir = byDomain.get(domain.uuid());
        return dir == null ? global : target(dir);
    }

    /** The directory a new backup of this domain goes under. */
    public Path directoryFor(DomainRef domain) {
        return byDomain.getOrDefault(domain.uuid(), globalRoot);
    }

    /** The per-domain directory, if one is set. */
    public Optional<Path> get(UUID domain) {
        return Optional.ofNullable(byDomain.get(domain));
    }

    /** Checks a directory as a per-domain target: inside a root, a directory we can write in. */
    public Path check(String path) {
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

    /** Sets ({@code dir} non-null) or clears the domain's directory, and persists it. */
    public synchronized void set(UUID domain, Path dir) {
        if (dir == null || dir.equals(globalRoot)) {
            byDomain.remove(domain);
        } else {
            byDomain.put(domain, dir);
            target(dir);
        }
        save();
    }

    /** The directories of every backup in any target ever used. */
    public List<Path> backups() {
        List<Path> all = new ArrayList<>();
        targets.values().forEach(t -> all.addAll(t.backups()));
        return all;
    }

    /** Removes a backup's directory through the target that holds it. */
    public void remove(Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        targets.keySet().stream().filter(dir::startsWith)
                .max((a, b) -> Integer.compare(a.getNameCount(), b.getNameCount()))
                .map(targets::get)
                .orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET, dir + " is in no known target"))
                .remove(dir);
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
            Path dir = Path.of(p.getProperty(key));
            if (key.startsWith(USED)) {
                if (Files.isDirectory(dir)) {
                    target(dir);
                }
            } else {
                byDomain.put(UUID.fromString(key), dir);
                target(dir);
            }
        }
    }

    private void save() {
        Map<String, String> out = new TreeMap<>();
        byDomain.forEach((domain, dir) -> out.put(domain.toString(), dir.toString()));
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
            p.store(text, "virt-backup: per-domain default targets (domain UUID = directory) and directories in use");
            Path tmp = Files.createTempFile(file.getParent(), ".default-targets", ".tmp",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_FILE));
            Files.writeString(tmp, text.toString());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot save " + file + ": " + e.getMessage(), e);
        }
    }
}
