package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.RestoreRequest;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.qemu.QemuImg;

/**
 * Where each disk of a restore goes, checked before anything is written: inside the restore
 * roots, never over an existing file unless rewriting the domain's own disks, with room.
 */
final class RestorePlan {

    private final List<Path> roots;
    private final QemuImg qemuImg;

    RestorePlan(List<Path> roots, QemuImg qemuImg) {
        this.roots = List.copyOf(roots);
        this.qemuImg = qemuImg;
    }

    /**
     * @param existingXml the XML of the domain whose disks are rewritten, {@code null} otherwise
     * @param newName the name of a new domain, {@code null} otherwise
     */
    List<RestoreTarget> plan(CatalogueEntry entry, RestoreRequest request, String existingXml, String newName,
            boolean instant) {
        Backup backup = entry.backup();
        Map<String, BackupDisk> held = backup.disks().stream()
                .collect(Collectors.toMap(BackupDisk::name, Function.identity(), (a, b) -> a, LinkedHashMap::new));
        Map<String, DomainDisk> then = byName(entry.domainXml());
        Map<String, DomainDisk> now = existingXml == null ? Map.of() : byName(existingXml);
        List<RestoreRequest.Disk> wanted = request.disks().isEmpty()
                ? held.keySet().stream().map(n -> new RestoreRequest.Disk(n, null)).toList() : request.disks();
        List<RestoreTarget> plan = new ArrayList<>();
        for (RestoreRequest.Disk w : wanted) {
            BackupDisk disk = held.get(w.name());
            if (disk == null) {
                throw new BackupException(ErrorCode.NO_DISK, "backup " + backup.uuid() + " holds no disk '" + w.name()
                        + "' (it holds: " + String.join(", ", held.keySet()) + ")");
            }
            DomainDisk original = then.get(w.name());
            String format = instant || original == null || !"raw".equals(original.format()) ? "qcow2" : "raw";
            Path target;
            if (existingXml != null) {
                DomainDisk current = now.get(w.name());
                if (current == null || current.source() == null) {
                    throw new BackupException(ErrorCode.NO_DISK, "domain " + backup.domain().name() + " has no disk '"
                            + w.name() + "' with a local image to rewrite");
                }
                target = Path.of(current.source());
                format = current.format();
            } else if (w.file() != null) {
                target = Path.of(w.file());
            } else if (newName != null) {
                target = roots.get(0).resolve(newName + "-" + w.name() + "." + format);
            } else {
                target = original == null || original.source() == null ? null : Path.of(original.source());
                if (target == null) {
                    throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + w.name() + " needs a <target file=...>");
                }
            }
            target = inRoots(target);
            if (existingXml == null && Files.exists(target)) {
                throw new BackupException(ErrorCode.INVALID_TARGET, target + " exists; it is never overwritten "
                        + "without REWRITE_EXISTING_DISK");
            }
            plan.add(new RestoreTarget(disk, target, format));
        }
        return plan;
    }

    /** {@code NO_SPACE} unless each file system has what the images need ({@code qemu-img measure}, or the chunks). */
    void requireSpace(Backup backup, List<RestoreTarget> plan, RestoreSource source) {
        Map<FileStore, Long> needed = new LinkedHashMap<>();
        try {
            for (RestoreTarget t : plan) {
                needed.merge(Files.getFileStore(t.target().getParent()), source.required(backup, t.disk(), t.format()), Long::sum);
            }
            for (Map.Entry<FileStore, Long> e : needed.entrySet()) {
                if (e.getKey().getUsableSpace() < e.getValue()) {
                    throw new BackupException(ErrorCode.NO_SPACE, "restoring needs " + e.getValue() + " bytes on "
                            + e.getKey() + ", which has " + e.getKey().getUsableSpace());
                }
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot check free space: " + e.getMessage(), e);
        }
    }

    /** The target's real path, inside the roots (symlinks followed), its missing parents made 0711. */
    private Path inRoots(Path target) {
        Path normal = target.toAbsolutePath().normalize();
        Optional<Path> real = Optional.empty();
        if (target.isAbsolute() && normal.equals(target)) {
            try {
                real = Paths.realInside(normal, roots);
            } catch (IOException e) {
                throw new BackupException(ErrorCode.INVALID_TARGET, "cannot resolve " + target + ": " + e.getMessage(), e);
            }
        }
        Path inside = real.orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET, target
                + " is outside the restore roots " + roots + " (configuration key restore.roots; symlinks are followed)"));
        Paths.passableDirectory(inside.getParent()); // QEMU passes through it to run the restored disk
        return inside;
    }

    private static Map<String, DomainDisk> byName(String domainXml) {
        return DomainXml.disksByName(domainXml);
    }
}
