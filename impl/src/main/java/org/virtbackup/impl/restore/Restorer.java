package org.virtbackup.impl.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreRequest;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.firmware.FirmwareRestore;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.JobTracker;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.qemu.QemuImg;

/**
 * Restores a backup point, full or at any depth of a tree, as whole disk images: into files the
 * request names, over the disks of the existing (shut-off) domain, or into a new domain. Every
 * image is written beside its target and renamed over it only when all are whole, so a failure
 * leaves nothing half-written. A restore holds the domain throughout: the tree it reads does not
 * change under it, and over the domain's own disks it runs alone.
 */
public final class Restorer {

    private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);

    private final Libvirt libvirt;
    private final Catalogue catalogue;
    private final QemuImg qemuImg;
    private final RestorePlan planner;
    private final JobTracker jobs;
    private final CopyTracker copies;
    private final DomainLocks locks;
    private final InstantRestoreAccess instantRestores;
    private final FaultPoints faults;
    private final FirmwareRestore firmware;
    private final RestoreSource images;
    private final RestoreSource chunks;
    private final RestoreRecovery recovery;
    private final RestoredDomains domains;
    private final RestoreClaims claims = new RestoreClaims();

    /** @param chunks how repository backups are read */
    public Restorer(Libvirt libvirt, Catalogue catalogue, QemuImg qemuImg, List<Path> roots, JobTracker jobs,
            CopyTracker copies, DomainLocks locks, InstantRestoreAccess instantRestores, FaultPoints faults,
            RestoreSource chunks, FirmwareRestore firmware) {
        this.firmware = firmware;
        this.images = new ImageSource(qemuImg);
        this.chunks = chunks;
        this.libvirt = libvirt;
        this.catalogue = catalogue;
        this.qemuImg = qemuImg;
        this.planner = new RestorePlan(roots, qemuImg);
        this.jobs = jobs;
        this.copies = copies;
        this.locks = locks;
        this.instantRestores = instantRestores;
        this.faults = faults;
        this.recovery = new RestoreRecovery(catalogue, locks, libvirt, firmware, this::firmwareOf);
        this.domains = new RestoredDomains(libvirt, firmware, this::firmwareOf);
    }

    /** Restores the backup the request names; returns what was written, and the domain restored into. */
    public RestoreResult restore(RestoreRequest request, Set<RestoreFlag> flags) {
        Backup seen = catalogue.require(request.backup()).backup();
        // Over the domain's disks: alone; elsewhere: the tree must only hold still.
        DomainLocks.Access access = flags.contains(RestoreFlag.REWRITE_EXISTING_DISK) ? DomainLocks.Access.EDIT
                : DomainLocks.Access.READ;
        try (DomainLocks.Held held = locks.hold(seen.domain(), access, "the restore of backup " + seen.uuid())) {
            // Read again under the lock: a merge or delete may have changed or removed it meanwhile.
            return restore(catalogue.require(seen.uuid()), request, flags);
        }
    }

    private RestoreResult restore(CatalogueEntry entry, RestoreRequest request, Set<RestoreFlag> flags) {
        Backup backup = entry.backup();
        if (backup.mode() == BackupMode.UNMANAGED) {
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "backup " + backup.uuid() + " is unmanaged: its data is "
                    + "with the third-party tool that read its export; restore it with that tool");
        }
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
        if (instant && Catalogue.inRepository(entry)) {
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "backup " + backup.uuid() + " is in a repository: an "
                    + "instant restore runs the domain on the backup's images, and a repository keeps chunks, not "
                    + "images; restore it without INSTANT");
        }
        RestoreSource source = Catalogue.inRepository(entry) ? chunks : images;
        LibvirtDomain existing = rewrite ? shutOffDomain(backup.domain()) : null;
        String name = newDomain ? newName(request, backup) : null;
        if (newDomain) {
            domains.requireNameFree(name); // before a byte is copied, not at the define after the copy
        }
        List<RestoreTarget> plan = planner.plan(entry, request, existing == null ? null : existing.xml(), name, instant);
        if (!instant) {
            planner.requireSpace(backup, plan, source);
        }
        if (newDomain) {
            firmware.requireFree(entry.domainXml(), name); // before a byte is copied
        }
        try (RestoreClaims.Claim claim = claims.claim(plan)) {
            return write(entry, plan, source, existing, name, instant, newDomain, flags);
        }
    }

    /** Writes the planned images beside their targets, then names them, then defines or starts. */
    private RestoreResult write(CatalogueEntry entry, List<RestoreTarget> plan, RestoreSource source,
            LibvirtDomain existing, String name, boolean instant, boolean newDomain, Set<RestoreFlag> flags) {
        Backup backup = entry.backup();
        List<Path> written = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        CopyProgress progress = new CopyProgress(plan.stream().mapToLong(t -> t.disk().capacity()).sum());
        ParkedDisks parked = ParkedDisks.none();
        // On disk before the first write or move: a crash is finished or undone from it at the next start.
        if (Catalogue.inRepository(entry)) {
            try {
                Paths.privateDirectory(entry.directory()); // a repository backup's records go where it ran
            } catch (UncheckedIOException e) {
                throw new BackupException(ErrorCode.IO_ERROR, "restoring backup " + backup.uuid() + ": " + e.getMessage(), e);
            }
        }
        // The whole machine back as it was, firmware with its disks (a subset of disks leaves it as it is).
        boolean withFirmware = existing != null && !backup.firmware().isEmpty() && plan.size() == backup.disks().size();
        RestoreIntent intent = RestoreIntent.begin(entry.directory(), plan, withFirmware, name);
        copies.started(CopyTracker.Kind.RESTORE, backup.uuid(), progress);
        try {
            if (existing != null) {
                parked = ParkedDisks.park(existing, plan);
                faults.reach("restore.after-park");
            }
            List<RestoreResult.RestoredDisk> result = new ArrayList<>();
            for (RestoreTarget t : plan) {
                Path tmp = t.temporary();
                Path log = tmp.resolveSibling(tmp.getFileName() + ".log");
                written.add(tmp);
                logs.add(log);
                Paths.privateFile(tmp); // 0600 before the first byte is written
                if (instant) {
                    // A thin overlay: the backup chain serves every read until the guest writes.
                    progress.current(t.disk().capacity(), log);
                    qemuImg.createOverlay(tmp, t.disk().target());
                } else {
                    source.copy(backup, t.disk(), tmp, t.format(), progress, log);
                }
                Boolean verified = null;
                if (flags.contains(RestoreFlag.VERIFY)) {
                    verified = source.identical(backup, t.disk(), tmp, t.format());
                    if (!verified) {
                        // A known-bad image never takes a disk's place: the restore fails, and is undone.
                        throw new BackupException(ErrorCode.IO_ERROR, "disk " + t.disk().name() + " restored from backup "
                                + backup.uuid() + " differs from the backup point (VERIFY); nothing of the restore is "
                                + "kept" + (existing != null ? ", and the domain's disks are as they were" : ""));
                    }
                }
                result.add(new RestoreResult.RestoredDisk(t.disk().name(), t.target().toString(), verified));
                progress.diskDone();
            }
            intent.copied();
            faults.reach("restore.after-copy");
            for (RestoreTarget t : plan) {
                try {
                    // Not over a file that appeared meanwhile (a rename replaces it): the target was free, or put aside.
                    Files.move(t.temporary(), t.target());
                } catch (FileAlreadyExistsException e) {
                    throw new BackupException(ErrorCode.INVALID_TARGET, t.target() + " appeared during the restore; it is "
                            + "never overwritten, and nothing of the restore is kept");
                }
                written.remove(t.temporary());
                if (existing == null) {
                    written.add(t.target()); // a failure before the last is named takes the first ones too
                }
                faults.reach("restore.between-renames");
            }
            for (Path dir : plan.stream().map(t -> t.target().getParent()).distinct().toList()) {
                Paths.syncDirectory(dir); // the new names on disk before the old disks go and the record with them
            }
            if (withFirmware) {
                faults.reach("restore.before-firmware");
                // Before the old disks go: if this fails, they are put back, and the firmware files too. (Not before
                // the renames: a rename failing after it would leave the old disks with the backup's firmware.)
                firmware.putBack(existing.xml(), firmwareOf(entry), backup.firmware());
            }
            parked.drop();
            DomainRef domain = existing != null ? existing.ref()
                    : instant ? instantRestores.define(entry, () -> domains.define(entry, name, plan), d -> plan.stream()
                            .map(t -> new InstantRestores.Use(d.uuid(), t.target().toString())).toList(), domains::undefine)
                    : newDomain ? domains.define(entry, name, plan) : null;
            written.clear(); // a new domain's images are its own from here on; until here, a failure takes them
            if (domain != null && flags.contains(RestoreFlag.START)) {
                domains.start(domain); // after the record of an instant restore's overlays: a domain that fails to start still needs its chain
            }
            LOG.info("Backup {} restored: {}{}", backup.uuid(), result, domain == null ? "" : " into " + domain.name());
            return new RestoreResult(domain, result);
        } catch (IOException e) {
            throw undo(intent, parked, new BackupException(ErrorCode.IO_ERROR, "restoring backup " + backup.uuid()
                    + " failed: " + e.getMessage(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw undo(intent, parked, new BackupException(ErrorCode.IO_ERROR, "restoring backup " + backup.uuid()
                    + " was interrupted"));
        } catch (RuntimeException e) {
            throw undo(intent, parked, e);
        } finally {
            copies.ended(CopyTracker.Kind.RESTORE, backup.uuid(), progress);
            written.addAll(logs); // the images' temporaries only on failure, the logs always
            written.forEach(Paths::deleteQuietly);
            intent.end(); // done, or undone here: only a crash leaves it
        }
    }

    /**
     * Puts the old disks back; first the record says the restore is being undone, so a crash
     * meanwhile is undone at the next start too, never finished over disks already put back.
     */
    private static RuntimeException undo(RestoreIntent intent, ParkedDisks parked, RuntimeException failure) {
        try {
            intent.undoing();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
        return parked.putBackFor(failure);
    }

    /** Finishes or undoes the restores a crash cut short (at activation, before anything else runs). */
    public void recover(List<Path> backupDirectories) {
        recovery.recover(backupDirectories);
    }

    private LibvirtDomain shutOffDomain(DomainRef ref) {
        LibvirtDomain d = libvirt.domain(ref.uuid().toString());
        if (d.isActive()) {
            throw new BackupException(ErrorCode.INVALID_STATE, "domain " + ref.name()
                    + " is running; shut it off before rewriting its disks");
        }
        jobs.runningFor(ref.uuid()).ifPresent(b -> {
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "domain " + ref.name() + " has backup " + b
                    + " running, which reads its disks; wait for it or cancel it first");
        });
        return d;
    }

    /** A backup's firmware files, from its directory or its repository. */
    private Function<FirmwareFile, byte[]> firmwareOf(CatalogueEntry entry) {
        RestoreSource source = Catalogue.inRepository(entry) ? chunks : images;
        return f -> source.firmware(entry.backup(), entry.directory(), f);
    }

    private static String newName(RestoreRequest request, Backup backup) {
        return request.domainName() != null ? request.domainName()
                : backup.domain().name() + "-restored-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
