package org.virtbackup.impl.backup;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.firmware.FirmwareCopies;
import org.virtbackup.impl.firmware.FirmwareState;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.jobs.JobTracker;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.storage.RoomCheck;
import org.virtbackup.impl.storage.StorageRouter;
import org.virtbackup.impl.xml.InputLimits;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.JobSpec;

/**
 * Starts a backup: chooses its disks, its parent and its target, records it in the catalogue as
 * running, and hands it to the provider of its mode, whose job the tracker then watches. If
 * anything fails on the way, nothing of the backup stays ({@link FailedStart}). It holds the
 * domain while it chooses and records, so no other start, delete, merge, undefine or restore over
 * the disks interleaves.
 */
public final class BackupStarter {

    private static final Logger LOG = LoggerFactory.getLogger(BackupStarter.class);

    private final Libvirt libvirt;
    private final Catalogue catalogue;
    private final StorageRouter storage;
    private final ParentChoice parents;
    private final JobTracker jobs;
    private final Events events;
    private final DomainLocks locks;
    private final FaultPoints faults;
    private final FailedStart failedStart;
    /** libvirt's swtpm directory, where an emulated TPM's state is kept by domain UUID. */
    private final Path swtpm;
    /** The UUIDs of backups being started: two starts naming one UUID (on any domain) never both go on. */
    private final Set<UUID> starting = ConcurrentHashMap.newKeySet();

    public BackupStarter(Libvirt libvirt, Catalogue catalogue, StorageRouter storage, ParentChoice parents,
            JobTracker jobs, Checkpoints checkpoints, Events events, DomainLocks locks, FaultPoints faults, Path swtpm) {
        this.swtpm = swtpm;
        this.libvirt = libvirt;
        this.catalogue = catalogue;
        this.storage = storage;
        this.parents = parents;
        this.jobs = jobs;
        this.events = events;
        this.locks = locks;
        this.faults = faults;
        this.failedStart = new FailedStart(checkpoints, catalogue, storage);
    }

    /** Starts a managed or unmanaged backup with the provider of its mode; returns it running. */
    public Backup start(BackupMode mode, BackupProvider provider, String domainName, BackupRequest request,
            Set<CreateFlag> flags) {
        InputLimits.requireDescription(request.description());
        UUID uuid = request.uuid() != null ? request.uuid() : UUID.randomUUID();
        if (!starting.add(uuid)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a backup with UUID " + uuid + " is being started");
        }
        try {
            if (catalogue.get(uuid).isPresent()) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a backup with UUID " + uuid + " exists");
            }
            LibvirtDomain domain = libvirt.domain(domainName);
            try (DomainLocks.Held held = locks.hold(domain.ref(), DomainLocks.Access.START,
                    "the start of backup " + uuid)) {
                return start(mode, provider, domain, uuid, request, flags);
            }
        } finally {
            starting.remove(uuid);
        }
    }

    private Backup start(BackupMode mode, BackupProvider provider, LibvirtDomain domain, UUID uuid,
            BackupRequest request, Set<CreateFlag> flags) {
        DomainRef ref = domain.ref();
        String domainXml = domain.xml();
        List<DomainDisk> chosen = chooseDisks(ref, DomainXml.disks(domainXml), request.disks());
        String repository = mode == BackupMode.MANAGED ? storage.repositoryFor(ref.uuid()).orElse(null) : null;
        BackupPlan plan = new BackupPlan(mode, domain, ref, domainXml, chosen, request, flags, repository);
        checkNotBusy(plan);
        checkTargets(plan);
        ParentChoice.Decision decision = parents.decide(plan);
        Backup parent = decision.parent() == null ? null : decision.parent().backup();
        if (plan.managed() && parent == null && repository == null) {
            // Into a repository, a full backup stores what it does not find there: its size is known only as it writes.
            Map<String, DiskTarget> placed = request.targets();
            RoomCheck.require(storage.available(ref), domain, chosen.stream().filter(d -> !placed.containsKey(d.name()))
                    .toList());
            requireRoomForPlaced(domain, chosen, placed);
        } else if (plan.managed() && parent != null && domain.isActive()) {
            // Offline, the bitmaps' counts are not at hand: a target filling midway fails the job with NO_SPACE.
            long dirty = decision.dirtyBytes() >= 0 ? decision.dirtyBytes() : Checkpoints.dirtyBytes(domain, parent.checkpoint());
            RoomCheck.require(storage.available(ref), dirty, "the target",
                    "an incremental backup of the domain", "what the guest wrote since backup " + parent.uuid());
        }
        Path dir = repository != null ? storage.createForRepository(ref, uuid) : storage.create(ref, uuid);
        List<BackupDisk> disks = new ArrayList<>();
        Backup recorded = null; // as the job was started with
        BackupJob job = null;
        try {
            DirectoryMarks.starting(dir, ref);
            faults.reach("create.before-descriptor");
            for (DomainDisk d : chosen) {
                disks.add(disk(plan, d, dir, uuid));
            }
            // Just before the job fixes the disks' moment: nothing freezes NVRAM or a TPM's state with them.
            List<FirmwareFile> firmware = plan.managed()
                    ? FirmwareCopies.capture(FirmwareState.of(domainXml, swtpm), dir) : List.of();
            Backup backup = new Backup(uuid, ref, request.description(), Instant.now(), null,
                    parent == null ? null : parent.uuid(), parent == null ? BackupKind.FULL : BackupKind.INCREMENTAL,
                    mode, JobState.RUNNING, checkpointFor(uuid, chosen), decision.note(), disks, false, firmware);
            CatalogueEntry entry = catalogue.put(new CatalogueEntry(backup, domainXml, dir));
            recorded = backup;
            DirectoryMarks.clear(dir);
            faults.reach("create.before-job");
            job = provider.start(new JobSpec(backup, domainXml, dir, plan.flags(), parent, request.server()));
            if (job.disks().isPresent()) {
                backup = backup.withDisks(job.disks().get());
                catalogue.put(entry.with(backup));
            }
            jobs.watch(uuid, job);
            events.started(backup);
            LOG.info("Backup {} of {} started: {} of disks {}{}", uuid, ref.name(), backup.kind(),
                    disks.stream().map(BackupDisk::name).toList(), parent == null ? "" : ", parent " + parent.uuid());
            return backup;
        } catch (RuntimeException | Error e) { // JNA's Errors too: else a job would run on that nobody watches
            failedStart.undo(e, job, recorded, uuid, ref, dir, disks);
            throw e;
        }
    }

    /**
     * A disk of the new backup; an unmanaged backup's data is read by a third party, as raw disks;
     * a repository backup's disk names the repository.
     */
    private BackupDisk disk(BackupPlan plan, DomainDisk d, Path dir, UUID uuid) {
        long capacity = plan.domain().capacity(d.name());
        if (plan.repository() != null) {
            return new BackupDisk(d.name(), BackupDisk.REPOSITORY, plan.repository(), capacity, 0);
        }
        DiskTarget placed = plan.request().targets().get(d.name());
        if (placed != null) {
            return new BackupDisk(d.name(), "qcow2", storage.placed().place(dir, d.name(), placed, capacity).toString(), capacity, 0);
        }
        return new BackupDisk(d.name(), plan.managed() ? "qcow2" : "raw",
                plan.managed() ? storage.image(plan.ref(), dir, uuid, d.name(), capacity).toString() : "", capacity, 0);
    }

    /** Disks placed in one file system or pool are counted together against its free space. */
    private void requireRoomForPlaced(LibvirtDomain domain, List<DomainDisk> chosen, Map<String, DiskTarget> placed) {
        Map<Object, List<DomainDisk>> bySpace = new LinkedHashMap<>();
        Map<Object, DiskTarget> anyTarget = new LinkedHashMap<>();
        for (DomainDisk d : chosen) {
            DiskTarget t = placed.get(d.name());
            if (t != null) {
                Object space = storage.placed().space(t);
                bySpace.computeIfAbsent(space, k -> new ArrayList<>()).add(d);
                anyTarget.putIfAbsent(space, t);
            }
        }
        bySpace.forEach((space, disks) -> RoomCheck.require(storage.placed().available(anyTarget.get(space)),
                RoomCheck.allocation(domain, disks), "where " + anyTarget.get(space) + " goes", "a full backup of disks "
                        + disks.stream().map(DomainDisk::name).toList(), "what they hold now"));
    }

    /** Per-disk targets: for disks of this backup, and for images in files (a repository keeps its own layout). */
    private void checkTargets(BackupPlan plan) {
        Map<String, DiskTarget> targets = plan.request().targets();
        if (targets.isEmpty()) {
            return;
        }
        if (plan.repository() != null) { // an export's targets are refused by the service
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "disks " + targets.keySet() + " name targets, but domain "
                    + plan.ref().name() + " is backed up into repository " + plan.repository()
                    + ", which keeps its own layout; per-disk targets are for backups to image files");
        }
        List<String> chosen = plan.disks().stream().map(DomainDisk::name).toList();
        targets.keySet().stream().filter(n -> !chosen.contains(n)).findFirst().ifPresent(n -> {
            throw new BackupException(ErrorCode.NO_DISK, "a target is given for disk '" + n + "', which domain "
                    + plan.ref().name() + " does not back up (its disks: " + String.join(", ", chosen) + ")");
        });
        targets.forEach(storage.placed()::check);
    }

    /** The disks asked for, in the order asked; none asked: every disk. */
    static List<DomainDisk> chooseDisks(DomainRef ref, List<DomainDisk> all, List<String> wanted) {
        if (all.isEmpty()) {
            throw new BackupException(ErrorCode.NO_DISK, "domain " + ref.name() + " has no disk that can be backed up");
        }
        if (wanted.isEmpty()) {
            return all;
        }
        Map<String, DomainDisk> byName = all.stream().collect(Collectors.toMap(DomainDisk::name, Function.identity(),
                (a, b) -> a, LinkedHashMap::new));
        List<DomainDisk> chosen = new ArrayList<>();
        for (String name : wanted) {
            DomainDisk d = byName.get(name);
            if (d == null) {
                throw new BackupException(ErrorCode.NO_DISK, "domain " + ref.name() + " has no disk '" + name
                        + "' (its disks: " + String.join(", ", byName.keySet()) + ")");
            }
            chosen.add(d);
        }
        return chosen;
    }

    /**
     * The checkpoint the backup creates for its children; dirty bitmaps live in qcow2 images
     * only, so a backup of a raw disk has none, and the next backup of it is a full one.
     */
    private static String checkpointFor(UUID backup, List<DomainDisk> disks) {
        return disks.stream().allMatch(d -> "qcow2".equals(d.format())) ? Checkpoints.nameFor(backup) : null;
    }

    private void checkNotBusy(BackupPlan plan) {
        jobs.runningFor(plan.ref().uuid()).ifPresent(mine -> {
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "domain " + plan.ref().name() + " already has backup "
                    + mine + " running; wait for it or cancel it (finishJob)");
        });
        if (plan.domain().isActive() && plan.domain().hasJob()) {
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "domain " + plan.ref().name()
                    + " has another libvirt job running (migration, snapshot or another backup tool)");
        }
    }
}
