package org.virtbackup.impl.storage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.spi.StorageTarget;

/**
 * The targets that hold backup directories: every directory target in use, the StorageTarget
 * services by kind, and which of them keeps each backup directory listed or created, so a
 * removal goes through the target that made it.
 */
final class TargetRegistry {

    private final QemuAccess qemu;
    /** Every directory target in use, by its root directory. */
    private final Map<Path, StorageTarget> directories = new ConcurrentHashMap<>();
    /** StorageTarget services, by kind. */
    private final Map<String, StorageTarget> kinds = new ConcurrentHashMap<>();
    /** Which target keeps each backup directory that was listed or created. */
    private final Map<Path, StorageTarget> owners = new ConcurrentHashMap<>();

    TargetRegistry(Path globalRoot, StorageTarget global, QemuAccess qemu) {
        this.qemu = qemu;
        directories.put(globalRoot, global);
    }

    /** The directory target rooted at {@code dir}, made on first use. */
    StorageTarget directory(Path dir) {
        return directories.computeIfAbsent(dir, d -> DirectoryTarget.at(d, qemu));
    }

    /** The root directories of the directory targets in use. */
    Set<Path> directoryRoots() {
        return Set.copyOf(directories.keySet());
    }

    Stream<DirectoryTarget> directoryTargets() {
        return directories.values().stream().filter(DirectoryTarget.class::isInstance).map(DirectoryTarget.class::cast);
    }

    /** The StorageTarget service of this kind; {@code INVALID_TARGET} when none is registered. */
    StorageTarget kind(String kind) {
        StorageTarget t = kinds.get(kind);
        if (t == null) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "no StorageTarget service of kind '" + kind
                    + "' is registered (service property " + StorageTarget.KIND + "=" + kind
                    + "): is the bundle providing it active?");
        }
        return t;
    }

    /** Adds a StorageTarget service; returns the backup directories it holds that are not known yet. */
    List<Path> addKind(String kind, StorageTarget target) {
        kinds.put(kind, target);
        return list(target);
    }

    /** Removes a StorageTarget service and forgets what it keeps. */
    void removeKind(String kind, StorageTarget target) {
        kinds.remove(kind, target);
        owners.values().removeIf(t -> t == target);
    }

    /** The backup directories of every target not listed or created before: what the catalogue has yet to load. */
    List<Path> unlisted() {
        List<Path> all = new ArrayList<>();
        directories.values().forEach(t -> all.addAll(list(t)));
        kinds.values().forEach(t -> all.addAll(list(t)));
        return all;
    }

    /** Records the target that made a backup directory. */
    void made(Path backupDirectory, StorageTarget target) {
        owners.put(backupDirectory, target);
    }

    /**
     * The target keeping a backup directory: the one that listed or made it, else the directory
     * target whose root holds it most closely; {@code INVALID_TARGET} when none does.
     */
    StorageTarget owner(Path backupDirectory) {
        StorageTarget owner = owners.get(backupDirectory);
        if (owner != null) {
            return owner;
        }
        return directories.keySet().stream().filter(backupDirectory::startsWith) // listed before owners were kept, or its service has gone
                .max((a, b) -> Integer.compare(a.getNameCount(), b.getNameCount()))
                .map(directories::get)
                .orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET, backupDirectory + " is in no known target "
                        + "(is the bundle of the StorageTarget service that keeps it active?)"));
    }

    /** The backup directory is gone. */
    void removed(Path backupDirectory) {
        owners.remove(backupDirectory);
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
}
