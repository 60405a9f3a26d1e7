package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.xml.BackupDocument;

/**
 * Restores a backup point, full or at any depth of a tree, as whole disk images: into files the
 * XML names, over the disks of the existing (shut-off) domain, or into a new domain. Every image
 * is written beside its target and renamed over it only when all are whole, so a failure leaves
 * nothing half-written.
 */
public final class Restorer {

    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);

    private final Libvirt libvirt;
    private final QemuImg qemuImg;
    private final List<Path> roots;
    private final Map<UUID, CopyProgress> running = new java.util.concurrent.ConcurrentHashMap<>();

    public Restorer(Libvirt libvirt, QemuImg qemuImg, List<Path> roots) {
        this.libvirt = libvirt;
        this.qemuImg = qemuImg;
        this.roots = List.copyOf(roots);
    }

    public RestoreResult restore(CatalogueEntry entry, BackupDocument doc, Set<RestoreFlag> flags) {
        Backup backup = entry.backup();
        boolean newDomain = flags.contains(RestoreFlag.NEW_DOMAIN);
        boolean rewrite = flags.contains(RestoreFlag.REWRITE_EXISTING_DISK);
        if (newDomain && rewrite) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "NEW_DOMAIN and REWRITE_EXISTING_DISK exclude each other");
        }
        boolean instant = flags.contains(RestoreFlag.INSTANT);
        if (instant && !newDomain) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "INSTANT needs NEW_DOMAIN: it defines a domain on the backup");
        }
        if (flags.contains(RestoreFlag.START) && !newDomain) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "START needs NEW_DOMAIN");
        }
        if (backup.state() != JobState.COMPLETED) {
            throw new BackupException(ErrorCode.INVALID_STATE, "backup " + backup.uuid() + " is "
                    + backup.state().name().toLowerCase() + "; only completed backups restore");
        }
        Domain existing = rewrite ? shutOffDomain(backup.domain()) : null;
        String name = newDomain ? newName(doc, backup) : null;
        List<RestoreTarget> plan = plan(entry, doc, existing, name, instant);
        if (!instant) {
            requireSpace(plan);
        }

        List<Path> written = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        CopyProgress progress = new CopyProgress(plan.stream().mapToLong(t -> t.disk().capacity()).sum());
        running.put(backup.uuid(), progress);
        try {
            List<RestoreResult.RestoredDisk> result = new ArrayList<>();
            for (RestoreTarget t : plan) {
                Path tmp = t.temporary();
                Path log = tmp.resolveSibling(tmp.getFileName() + ".log");
                written.add(tmp);
                logs.add(log);
                progress.current(t.disk().capacity(), log);
                if (instant) {
                    // A thin overlay: the backup chain serves every read until the guest writes.
                    qemuImg.createOverlay(tmp, t.disk().target());
                } else {
                    qemuImg.convert(t.disk().target(), "qcow2", tmp, t.format(), log);
                }
                Files.setPosixFilePermissions(tmp, Paths.OWNER_ONLY_FILE);
                Boolean verified = null;
                if (flags.contains(RestoreFlag.VERIFY)) {
                    verified = qemuImg.identical(t.disk().target(), "qcow2", tmp.toString(), t.format());
                }
                result.add(new RestoreResult.RestoredDisk(t.disk().name(), t.target().toString(), verified));
                progress.diskDone();
            }
            for (RestoreTarget t : plan) {
                Files.move(t.temporary(), t.target(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            written.clear();
            DomainRef domain = existing != null ? libvirt.ref(existing)
                    : newDomain ? define(entry, name, plan, flags.contains(RestoreFlag.START)) : null;
            if (instant) {
                InstantRestores.add(entry.directory(), plan.stream()
                        .map(t -> new InstantRestores.Use(domain.uuid(), t.target().toString())).toList());
            }
            LOG.info("Backup {} restored: {}{}", backup.uuid(), result, domain == null ? "" : " into " + domain.name());
            return new RestoreResult(domain, result);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "restoring backup " + backup.uuid() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "restoring backup " + backup.uuid() + " was interrupted");
        } finally {
            running.remove(backup.uuid(), progress);
            written.addAll(logs); // the images' temporaries only on failure, the logs always
            for (Path p : written) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("Cannot remove {}: {}", p, e.getMessage());
                }
            }
        }
    }

    private List<RestoreTarget> plan(CatalogueEntry entry, BackupDocument doc, Domain existing, String newName,
            boolean instant) {
        Backup backup = entry.backup();
        Map<String, BackupDisk> held = backup.disks().stream()
                .collect(Collectors.toMap(BackupDisk::name, Function.identity(), (a, b) -> a, LinkedHashMap::new));
        Map<String, DomainDisk> then = DomainXml.disks(entry.domainXml()).stream()
                .collect(Collectors.toMap(DomainDisk::name, Function.identity(), (a, b) -> a));
        Map<String, DomainDisk> now = existing == null ? Map.of() : DomainXml.disks(xml(existing)).stream()
                .collect(Collectors.toMap(DomainDisk::name, Function.identity(), (a, b) -> a));
        List<BackupDocument.DiskTarget> wanted = doc.disks().isEmpty()
                ? held.keySet().stream().map(n -> new BackupDocument.DiskTarget(n, null)).toList() : doc.disks();
        List<RestoreTarget> plan = new ArrayList<>();
        for (BackupDocument.DiskTarget w : wanted) {
            BackupDisk disk = held.get(w.name());
            if (disk == null) {
                throw new BackupException(ErrorCode.NO_DISK, "backup " + backup.uuid() + " holds no disk '" + w.name()
                        + "' (it holds: " + String.join(", ", held.keySet()) + ")");
            }
            DomainDisk original = then.get(w.name());
            String format = instant || original == null || !"raw".equals(original.format()) ? "qcow2" : "raw";
            Path target;
            if (existing != null) {
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
            if (existing == null && Files.exists(target)) {
                throw new BackupException(ErrorCode.INVALID_TARGET, target + " exists; it is never overwritten "
                        + "without REWRITE_EXISTING_DISK");
            }
            plan.add(new RestoreTarget(disk, target, format));
        }
        return plan;
    }

    /** Bytes {total, processed} of a restore of this backup that runs now, if any. */
    public java.util.Optional<long[]> progress(UUID backup) {
        return java.util.Optional.ofNullable(running.get(backup)).map(CopyProgress::bytes);
    }

    /**
     * Refuses when a domain restored instantly from this backup still exists: its disks read
     * through the backup's images.
     */
    public void requireNoInstantRestore(CatalogueEntry entry) {
        for (InstantRestores.Use use : InstantRestores.of(entry.directory())) {
            try {
                Domain d = libvirt.connection().domainLookupByUUIDString(use.domain().toString());
                if (d != null && d.getXMLDesc(0).contains(use.overlay())) {
                    throw new BackupException(ErrorCode.INVALID_STATE, "backup " + entry.backup().uuid()
                            + " holds the disks of domain " + d.getName() + ", restored instantly from it ("
                            + use.overlay() + "); undefine that domain, or restore it in full, first");
                }
            } catch (LibvirtException e) {
                // the domain is gone: its overlay no longer needs the backup
            }
        }
    }

    private Path inRoots(Path target) {
        Path normal = target.toAbsolutePath().normalize();
        if (!target.isAbsolute() || !normal.equals(target) || roots.stream().noneMatch(normal::startsWith)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, target + " is outside the restore roots "
                    + roots + " (configuration key restore.roots)");
        }
        Paths.privateDirectory(normal.getParent());
        return normal;
    }

    private void requireSpace(List<RestoreTarget> plan) {
        Map<FileStore, Long> needed = new LinkedHashMap<>();
        try {
            for (RestoreTarget t : plan) {
                needed.merge(Files.getFileStore(t.target().getParent()), qemuImg.measure(t.disk().target(), t.format()), Long::sum);
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

    private Domain shutOffDomain(DomainRef ref) {
        Domain d = libvirt.domain(ref.uuid().toString());
        try {
            if (d.isActive() == 1) {
                throw new BackupException(ErrorCode.INVALID_STATE, "domain " + ref.name()
                        + " is running; shut it off before rewriting its disks");
            }
        } catch (LibvirtException e) {
            throw Libvirt.failure("reading the state of " + ref.name(), e);
        }
        return d;
    }

    private DomainRef define(CatalogueEntry entry, String name, List<RestoreTarget> plan, boolean start) {
        Map<String, String[]> images = new LinkedHashMap<>();
        plan.forEach(t -> images.put(t.disk().name(), new String[] {t.target().toString(), t.format()}));
        String xml = RestoredDomainXml.of(entry.domainXml(), name, images);
        try {
            Domain d = libvirt.connection().domainDefineXML(xml);
            if (start) {
                d.create();
            }
            return libvirt.ref(d);
        } catch (LibvirtException e) {
            for (RestoreTarget t : plan) {
                try {
                    Files.deleteIfExists(t.target());
                } catch (IOException ex) {
                    LOG.warn("Cannot remove {}: {}", t.target(), ex.getMessage());
                }
            }
            throw Libvirt.failure("defining the restored domain " + name, e);
        }
    }

    private static String newName(BackupDocument doc, Backup backup) {
        return doc.domainName() != null ? doc.domainName()
                : backup.domain().name() + "-restored-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String xml(Domain d) {
        try {
            return d.getXMLDesc(0);
        } catch (LibvirtException e) {
            throw Libvirt.failure("reading the domain XML", e);
        }
    }
}
