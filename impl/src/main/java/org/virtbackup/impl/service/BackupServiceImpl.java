package org.virtbackup.impl.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.api.ModifyFlag;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.api.UndefineFlag;
import org.virtbackup.api.XmlFlag;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.catalogue.DescriptorFile;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.restore.Restorer;
import org.virtbackup.impl.xml.BackupDocument;
import org.virtbackup.impl.target.DefaultTargets;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.impl.xml.TargetXml;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobSpec;
import org.virtbackup.spi.StorageTarget;

/**
 * The {@link BackupService} facade: validates requests, keeps the catalogue and hands the data
 * work to the {@link BackupProvider} registered for the backup's mode. Providers come and go
 * (hot swap): a missing one makes the operations that need it fail with
 * {@link ErrorCode#NO_PROVIDER}; jobs it left running are resumed when one comes back.
 */
@Component(service = BackupService.class, configurationPid = VirtBackupConfig.PID)
@Designate(ocd = VirtBackupConfig.class)
public final class BackupServiceImpl implements BackupService {

    private static final Logger LOG = LoggerFactory.getLogger(BackupServiceImpl.class);
    private static final String MANAGED = "managed";
    private static final String UNMANAGED = "unmanaged";
    /** {@code VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA}: not in libvirt-java 0.5.4's constants. */
    private static final int UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;

    private final Libvirt libvirt;
    private final DefaultTargets targets;
    private final BackupXml xml = new BackupXml();
    private final Catalogue catalogue = new Catalogue(xml);
    private final JobTracker jobs;
    private final QemuImg qemuImg;
    private final ParentChoice parents;
    private final Restorer restorer;
    /** Providers by mode; dynamic, so they are bound through methods rather than the constructor. */
    private final Map<String, BackupProvider> providers = new ConcurrentHashMap<>();
    private final Object createLock = new Object();
    /** Merges (delete with MERGE) running now, by the backup being folded into its children. */
    private final Map<UUID, CopyProgress> merging = new ConcurrentHashMap<>();
    private volatile boolean active;
    /** Optional: without Event Admin no events are posted. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile EventAdmin eventAdmin;
    private final Events events = new Events(() -> eventAdmin);
    private final ScheduledExecutorService progressEvents;

    @Activate
    public BackupServiceImpl(@Reference Libvirt libvirt,
            @Reference(target = "(" + StorageTarget.KIND + "=directory)") StorageTarget target,
            VirtBackupConfig config) {
        this.libvirt = libvirt;
        this.targets = new DefaultTargets(target, Paths.resolve(config.target_directory()), Paths.list(config.target_roots()),
                libvirt);
        this.qemuImg = new QemuImg(config.qemu_img(), config.copy_parallelism());
        this.parents = new ParentChoice(catalogue, qemuImg);
        this.restorer = new Restorer(libvirt, qemuImg, Paths.list(config.restore_roots()));
        this.jobs = new JobTracker(catalogue, targets::remove, targets::removeImages, this::dropCheckpoint, events);
        this.progressEvents = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "virt-backup-progress-events");
            t.setDaemon(true);
            return t;
        });
        progressEvents.scheduleWithFixedDelay(this::postProgress, 1, 1, TimeUnit.SECONDS);
        catalogue.load(targets.backups());
        active = true;
        providers.keySet().forEach(this::resumeJobs);
        LOG.info("virt-backup catalogue loaded: {} backups", catalogue.all().size());
    }

    @Deactivate
    public void deactivate() {
        active = false;
        progressEvents.shutdownNow();
        jobs.close();
    }

    private void postProgress() {
        if (!events.enabled()) {
            return; // reading progress costs a libvirt call per job
        }
        for (UUID uuid : jobs.running()) {
            try {
                jobs.get(uuid).ifPresent(r -> catalogue.get(uuid).ifPresent(e -> events.progress(e.backup(), r.job().progress())));
            } catch (RuntimeException e) {
                LOG.debug("No progress event for {}: {}", uuid, e.getMessage());
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindProvider(BackupProvider provider, Map<String, Object> props) {
        String mode = String.valueOf(props.get(BackupProvider.MODE));
        providers.put(mode, provider);
        if (active) {
            resumeJobs(mode);
        }
    }

    void unbindProvider(BackupProvider provider, Map<String, Object> props) {
        providers.remove(String.valueOf(props.get(BackupProvider.MODE)), provider);
    }

    /** StorageTarget services of any kind, ours included: their backups join the catalogue. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindTarget(StorageTarget target, Map<String, Object> props) {
        List<Path> found = targets.addKind(String.valueOf(props.get(StorageTarget.KIND)), target);
        if (active && !found.isEmpty()) {
            catalogue.load(found);
            LOG.info("{} backups found in the StorageTarget of kind {}", found.size(), props.get(StorageTarget.KIND));
        }
    }

    void unbindTarget(StorageTarget target, Map<String, Object> props) {
        targets.removeKind(String.valueOf(props.get(StorageTarget.KIND)), target);
    }

    // ---- create -------------------------------------------------------------------------

    @Override
    public Backup create(String domain, String backupXml, Set<CreateFlag> flags) {
        BackupDocument doc = xml.parseRequest(backupXml);
        doc.disks().stream().filter(d -> d.file() != null).findFirst().ifPresent(d -> {
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "disk " + d.name() + ": per-disk <target> files are not "
                    + "supported yet; backups go to the default target directory");
        });
        return create(domain, doc.toRequest(), flags);
    }

    @Override
    public Backup create(String domainName, BackupRequest request, Set<CreateFlag> flags) {
        if (request.server() != null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "<server> is for unmanaged backups (startUnmanaged); "
                    + "a managed backup keeps its data in its target");
        }
        return begin(BackupMode.MANAGED, domainName, request, flags);
    }

    /** Starts a managed or unmanaged backup: the catalogue records it as running before its job starts. */
    private Backup begin(BackupMode mode, String domainName, BackupRequest request, Set<CreateFlag> flags) {
        Set<CreateFlag> f = flags == null ? Set.of() : flags;
        if (request.uuid() != null && catalogue.get(request.uuid()).isPresent()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a backup with UUID " + request.uuid() + " exists");
        }
        boolean managed = mode == BackupMode.MANAGED;
        BackupProvider provider = provider(managed ? MANAGED : UNMANAGED);
        Domain domain = libvirt.domain(domainName);
        DomainRef ref = libvirt.ref(domain);
        String domainXml = domainXml(domain);
        List<DomainDisk> chosen = chooseDisks(ref, DomainXml.disks(domainXml), request.disks());
        UUID uuid = request.uuid() != null ? request.uuid() : UUID.randomUUID();
        synchronized (createLock) {
            checkNotBusy(ref, domain);
            ParentChoice.Decision decision = parents.decide(request.parent(), f, ref, domain, chosen, mode);
            Backup parent = decision.parent() == null ? null : decision.parent().backup();
            if (managed && decision.parent() == null) {
                requireSpace(targets.available(ref), domain, chosen);
            }
            Path dir = targets.create(ref, uuid);
            List<BackupDisk> disks = new ArrayList<>();
            try {
                // An unmanaged backup's data is read by a third party: the export presents raw disks.
                for (DomainDisk d : chosen) {
                    long capacity = capacity(domain, d);
                    disks.add(new BackupDisk(d.name(), managed ? "qcow2" : "raw",
                            managed ? targets.image(ref, dir, uuid, d.name(), capacity).toString() : "", capacity, 0));
                }
                Backup backup = new Backup(uuid, ref, request.description(), Instant.now(), null,
                        parent == null ? null : parent.uuid(), parent == null ? BackupKind.FULL : BackupKind.INCREMENTAL,
                        mode, JobState.RUNNING, checkpointFor(uuid, chosen), decision.note(), disks);
                CatalogueEntry entry = new CatalogueEntry(backup, domainXml, dir);
                catalogue.put(entry);
                BackupJob job = provider.start(new JobSpec(backup, domainXml, dir, f, parent, request.server()));
                if (job.disks().isPresent()) {
                    backup = backup.withDisks(job.disks().get());
                    catalogue.put(entry.with(backup));
                }
                jobs.watch(uuid, job);
                events.started(backup);
                LOG.info("Backup {} of {} started: {} of disks {}{}", uuid, ref.name(), backup.kind(),
                        disks.stream().map(BackupDisk::name).toList(), parent == null ? "" : ", parent " + parent.uuid());
                return backup;
            } catch (RuntimeException e) {
                // Nothing half-written: no descriptor, no directory.
                catalogue.remove(uuid);
                targets.remove(uuid, disks, dir);
                throw e;
            }
        }
    }

    private List<DomainDisk> chooseDisks(DomainRef ref, List<DomainDisk> all, List<String> wanted) {
        if (all.isEmpty()) {
            throw new BackupException(ErrorCode.NO_DISK, "domain " + ref.name() + " has no disk that can be backed up");
        }
        if (wanted.isEmpty()) {
            return all;
        }
        Map<String, DomainDisk> byName = all.stream().collect(Collectors.toMap(DomainDisk::name, d -> d,
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

    private void checkNotBusy(DomainRef ref, Domain domain) {
        Optional<UUID> mine = jobs.runningFor(ref.uuid());
        if (mine.isEmpty()) {
            // A job recorded as running but not watched (its provider is away) also counts.
            mine = catalogue.all().stream().map(CatalogueEntry::backup)
                    .filter(b -> b.state() == JobState.RUNNING && b.domain().uuid().equals(ref.uuid()))
                    .map(Backup::uuid).findFirst();
        }
        if (mine.isPresent()) {
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "domain " + ref.name() + " already has backup "
                    + mine.get() + " running; wait for it or cancel it (finishJob)");
        }
        try {
            if (domain.isActive() == 1 && domain.getJobInfo().getType() != 0) {
                throw new BackupException(ErrorCode.DOMAIN_BUSY, "domain " + ref.name()
                        + " has another libvirt job running (migration, snapshot or another backup tool)");
            }
        } catch (LibvirtException e) {
            throw Libvirt.failure("reading the job of domain " + ref.name(), e);
        }
    }

    private static String domainXml(Domain domain) {
        try {
            return domain.getXMLDesc(0);
        } catch (LibvirtException e) {
            throw Libvirt.failure("reading the domain XML", e);
        }
    }

    private static long capacity(Domain domain, DomainDisk disk) {
        try {
            return domain.blockInfo(disk.name()).getCapacity();
        } catch (LibvirtException e) {
            throw Libvirt.failure("reading the size of disk " + disk.name(), e);
        }
    }

    // ---- jobs ---------------------------------------------------------------------------

    @Override
    public JobState finishJob(UUID uuid, Set<FinishJobFlag> flags) {
        Backup backup = catalogue.require(uuid).backup();
        if (backup.state().isFinal()) {
            return backup.state();
        }
        Set<FinishJobFlag> f = flags == null ? Set.of() : flags;
        if (f.contains(FinishJobFlag.CHECK) && !f.contains(FinishJobFlag.CANCEL)) {
            return JobState.RUNNING;
        }
        RunningJob job = jobs.get(uuid).orElseThrow(() -> new BackupException(ErrorCode.NO_PROVIDER,
                "no provider watches backup " + uuid + " now; it is resumed when the " + backup.mode().name().toLowerCase()
                        + " provider returns"));
        if (f.contains(FinishJobFlag.CANCEL)) {
            job.job().cancel();
        } else {
            job.job().end(); // an export ends now; a copy is waited for
        }
        try {
            return job.recorded().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.INVALID_STATE, "interrupted while waiting for backup " + uuid);
        } catch (ExecutionException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "recording the end of backup " + uuid + " failed: "
                    + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public Map<String, Object> getParameters(UUID uuid) {
        Backup b = catalogue.require(uuid).backup();
        long total = b.disks().stream().mapToLong(BackupDisk::capacity).sum();
        long processed = b.state() == JobState.COMPLETED ? total : 0;
        long elapsed = b.completionTime() == null ? 0
                : Duration.between(b.creationTime(), b.completionTime()).toMillis();
        Optional<RunningJob> running = jobs.get(uuid);
        if (running.isPresent() && b.state() == JobState.RUNNING) {
            JobProgress p = running.get().job().progress();
            total = p.total();
            processed = p.processed();
            elapsed = Duration.between(running.get().started(), Instant.now()).toMillis();
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put(BackupParameters.STATE, b.state().name());
        params.put(BackupParameters.KIND, b.kind().name());
        params.put(BackupParameters.MODE, b.mode().name());
        params.put(BackupParameters.BYTES_TOTAL, total);
        params.put(BackupParameters.BYTES_PROCESSED, processed);
        params.put(BackupParameters.BYTES_REMAINING, Math.max(0, total - processed));
        params.put(BackupParameters.BYTES_STORED, b.disks().stream().mapToLong(BackupDisk::stored).sum());
        params.put(BackupParameters.ELAPSED_MS, elapsed);
        params.put(BackupParameters.THROUGHPUT, elapsed > 0 ? processed * 1000 / elapsed : 0L);
        restorer.progress(uuid).ifPresent(bytes -> {
            params.put(BackupParameters.RESTORE_BYTES_TOTAL, bytes[0]);
            params.put(BackupParameters.RESTORE_BYTES_PROCESSED, bytes[1]);
        });
        Optional.ofNullable(merging.get(uuid)).map(CopyProgress::bytes).ifPresent(bytes -> {
            params.put(BackupParameters.MERGE_BYTES_TOTAL, bytes[0]);
            params.put(BackupParameters.MERGE_BYTES_PROCESSED, bytes[1]);
        });
        return params;
    }

    // ---- catalogue queries --------------------------------------------------------------

    @Override
    public List<Backup> list(String domain, Set<ListFlag> flags) {
        List<Backup> all = backups();
        List<Backup> candidates = domain == null ? all
                : all.stream().filter(b -> b.domain().name().equals(domain)
                        || b.domain().uuid().toString().equalsIgnoreCase(domain)).toList();
        return BackupFilter.apply(candidates, all, flags);
    }

    @Override
    public List<Backup> listChildren(UUID uuid, Set<ListFlag> flags) {
        catalogue.require(uuid);
        List<Backup> all = backups();
        boolean deep = flags != null && flags.contains(ListFlag.DESCENDANTS);
        List<Backup> found = new ArrayList<>();
        Deque<UUID> todo = new ArrayDeque<>(List.of(uuid));
        while (!todo.isEmpty()) {
            UUID parent = todo.pop();
            for (Backup b : all) {
                if (parent.equals(b.parent())) {
                    found.add(b);
                    if (deep) {
                        todo.add(b.uuid());
                    }
                }
            }
        }
        return BackupFilter.apply(found, all, flags);
    }

    @Override
    public Optional<Backup> lookup(UUID uuid) {
        return catalogue.get(uuid).map(CatalogueEntry::backup);
    }

    @Override
    public DomainRef getDomain(UUID uuid) {
        return catalogue.require(uuid).backup().domain();
    }

    @Override
    public String getXmlDesc(UUID uuid, Set<XmlFlag> flags) {
        CatalogueEntry e = catalogue.require(uuid);
        boolean noDomain = flags != null && flags.contains(XmlFlag.NO_DOMAIN);
        return xml.write(e.backup(), noDomain ? null : e.domainXml());
    }

    // ---- delete -------------------------------------------------------------------------

    @Override
    public void delete(UUID uuid, Set<DeleteFlag> flags) {
        Set<DeleteFlag> f = flags == null || flags.isEmpty() ? EnumSet.noneOf(DeleteFlag.class) : EnumSet.copyOf(flags);
        Backup backup = catalogue.require(uuid).backup();
        if (f.contains(DeleteFlag.MERGE)) {
            if (f.contains(DeleteFlag.ALL) || f.contains(DeleteFlag.ALL_CHILDREN) || f.contains(DeleteFlag.METADATA_ONLY)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "MERGE does not combine with ALL, ALL_CHILDREN or METADATA_ONLY");
            }
            merge(backup);
            return;
        }
        List<Backup> doomed;
        if (f.contains(DeleteFlag.ALL)) {
            doomed = list(backup.domain().uuid().toString(), Set.of());
        } else {
            List<Backup> subtree = listChildren(uuid, Set.of(ListFlag.DESCENDANTS));
            if (!subtree.isEmpty() && !f.contains(DeleteFlag.ALL_CHILDREN)) {
                throw new BackupException(ErrorCode.HAS_CHILDREN, "backup " + uuid + " has " + subtree.size()
                        + " descendant backups; delete them with it (ALL_CHILDREN) or fold it into them (MERGE)");
            }
            doomed = new ArrayList<>(subtree);
            doomed.add(backup);
        }
        requireNotRunning(doomed);
        doomed.forEach(b -> restorer.requireNoInstantRestore(catalogue.require(b.uuid())));
        // Children before parents: a parent's image is its children's backing file.
        doomed.stream().sorted(Comparator.comparingInt(this::depth).reversed())
                .forEach(b -> deleteOne(b.uuid(), f.contains(DeleteFlag.METADATA_ONLY)));
    }

    /**
     * Folds a backup into its children, then deletes it: each child's images are rebased onto the
     * backup's own parent (or made whole when it has none), copying in what they took from it.
     * A crash midway leaves every image readable: a rebase changes the backing file last.
     */
    private void merge(Backup backup) {
        List<Backup> children = listChildren(backup.uuid(), Set.of());
        List<Backup> involved = new ArrayList<>(children);
        involved.add(backup);
        requireNotRunning(involved);
        // The children keep their content and paths through a merge; only the merged backup goes.
        restorer.requireNoInstantRestore(catalogue.require(backup.uuid()));
        Backup grandparent = backup.parent() == null ? null : catalogue.require(backup.parent()).backup();
        CopyProgress progress = new CopyProgress(children.stream().flatMap(c -> c.disks().stream())
                .filter(d -> !d.target().isEmpty()).mapToLong(BackupDisk::capacity).sum());
        merging.put(backup.uuid(), progress);
        try {
            for (Backup child : children) {
                rebaseOnto(child, grandparent, progress);
            }
        } finally {
            merging.remove(backup.uuid());
        }
        deleteOne(backup.uuid(), false);
        LOG.info("Backup {} merged into its {} children", backup.uuid(), children.size());
    }

    /** Rebases a child's images onto the grandparent's (none: made whole) and records it as the grandparent's child. */
    private void rebaseOnto(Backup child, Backup grandparent, CopyProgress progress) {
        CatalogueEntry entry = catalogue.require(child.uuid());
        List<BackupDisk> disks = new ArrayList<>();
        for (BackupDisk disk : child.disks()) {
            if (disk.target().isEmpty()) {
                disks.add(disk); // an unmanaged child: no image, only its place in the tree changes
                continue;
            }
            Path image = Path.of(disk.target());
            String backing = "";
            if (grandparent != null) {
                BackupDisk base = grandparent.disks().stream().filter(d -> d.name().equals(disk.name())).findFirst()
                        .orElseThrow(() -> new BackupException(ErrorCode.INVALID_STATE, "disk " + disk.name()
                                + " of " + child.uuid() + " has no image in " + grandparent.uuid()));
                backing = image.getParent().relativize(Path.of(base.target())).toString();
            }
            Path log = entry.directory().resolve("merge-" + disk.name() + ".log");
            progress.current(disk.capacity(), log);
            try {
                qemuImg.rebase(image, backing, log);
            } finally {
                deleteQuietly(log);
            }
            progress.diskDone();
            disks.add(disk.withStored(Paths.sizeOf(image)));
        }
        Backup merged = new Backup(child.uuid(), child.domain(), child.description(), child.creationTime(),
                child.completionTime(), grandparent == null ? null : grandparent.uuid(),
                grandparent == null ? BackupKind.FULL : BackupKind.INCREMENTAL, child.mode(), child.state(),
                child.checkpoint(), child.message(), disks);
        catalogue.put(entry.with(merged));
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (java.io.IOException e) {
            LOG.debug("Cannot remove {}: {}", file, e.getMessage());
        }
    }

    private void requireNotRunning(List<Backup> backups) {
        backups.stream().filter(b -> b.state() == JobState.RUNNING).findFirst().ifPresent(b -> {
            throw new BackupException(ErrorCode.INVALID_STATE, "backup " + b.uuid()
                    + " is running; cancel it first (finishJob with CANCEL)");
        });
    }

    private int depth(Backup b) {
        int depth = 0;
        for (UUID p = b.parent(); p != null; p = catalogue.get(p).map(e -> e.backup().parent()).orElse(null)) {
            depth++;
        }
        return depth;
    }

    private void deleteOne(UUID uuid, boolean metadataOnly) {
        CatalogueEntry e = catalogue.require(uuid);
        // Descriptor first: a crash in between leaves unlisted files, never a listed backup without data.
        try {
            Files.deleteIfExists(DescriptorFile.in(e.directory()));
        } catch (IOException ex) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot delete the descriptor of " + uuid + ": " + ex.getMessage(), ex);
        }
        catalogue.remove(uuid);
        if (!metadataOnly) {
            targets.remove(e.backup(), e.directory());
            dropCheckpoint(e.backup());
        }
        events.deleted(e.backup());
        LOG.info("Backup {} of {} deleted{}", uuid, e.backup().domain().name(), metadataOnly ? " (metadata only)" : "");
    }

    /** Removes the backup's checkpoint from libvirt, if the domain and the checkpoint still exist. */
    private void dropCheckpoint(Backup b) {
        if (b.checkpoint() == null) {
            return;
        }
        try {
            Checkpoints.delete(libvirt.domain(b.domain().uuid().toString()), b.checkpoint(), qemuImg);
        } catch (BackupException e) {
            if (e.code() != ErrorCode.NO_DOMAIN) {
                LOG.warn("Checkpoint {} of backup {} stays in libvirt: {}", b.checkpoint(), b.uuid(), e.getMessage());
            }
        }
    }

    // ---- operations of later versions ---------------------------------------------------

    @Override
    public Backup startUnmanaged(String domain, String backupXml, Set<CreateFlag> flags) {
        BackupDocument doc = xml.parseRequest(backupXml);
        doc.disks().stream().filter(d -> d.file() != null).findFirst().ifPresent(d -> {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + d.name() + ": an unmanaged backup stores "
                    + "nothing, so its disks take no <target>; a third party reads the NBD export");
        });
        return startUnmanaged(domain, doc.toRequest(), flags);
    }

    @Override
    public Backup startUnmanaged(String domain, BackupRequest request, Set<CreateFlag> flags) {
        return begin(BackupMode.UNMANAGED, domain, request, flags);
    }

    @Override
    public RestoreResult restore(String restoreXml, Set<RestoreFlag> flags) {
        BackupDocument doc = xml.parseRequest(restoreXml);
        if (doc.uuid() == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "the restore XML names no backup: <uuid> is missing");
        }
        CatalogueEntry entry = catalogue.require(doc.uuid());
        if (entry.backup().mode() == BackupMode.UNMANAGED) {
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "backup " + doc.uuid() + " is unmanaged: its data is with "
                    + "the third-party tool that read its export; restore it with that tool");
        }
        RestoreResult result = restorer.restore(entry, doc, flags == null ? Set.of() : flags);
        events.restored(entry.backup(), result.domain() == null ? null : result.domain().name());
        return result;
    }

    @Override
    public void setDefaultTarget(String domainName, String targetXml, Set<ModifyFlag> flags) {
        Domain domain = libvirt.domain(domainName);
        DomainRef ref = libvirt.ref(domain);
        boolean validateOnly = flags != null && flags.contains(ModifyFlag.VALIDATE_ONLY);
        if (targetXml == null || targetXml.isBlank()) {
            if (!validateOnly) {
                targets.set(ref.uuid(), null);
                LOG.info("Backups of {} go to the global target again", ref.name());
            }
            return;
        }
        TargetXml t = targets.check(TargetXml.parse(targetXml));
        requireSpace(targets.available(t), domain, DomainXml.disks(domainXml(domain)));
        if (!validateOnly) {
            targets.set(ref.uuid(), t);
            LOG.info("Backups of {} go to {} {}", ref.name(), t.kind(), t.value());
        }
    }

    @Override
    public Optional<String> getDefaultTarget(String domainName) {
        DomainRef ref = libvirt.ref(libvirt.domain(domainName));
        return targets.get(ref.uuid()).map(TargetXml::toXml);
    }

    /** A full backup needs about what the disks hold now; refuse early rather than fill the disk. */
    private static void requireSpace(long free, Domain domain, List<DomainDisk> disks) {
        long needed = 0;
        for (DomainDisk d : disks) {
            try {
                needed += domain.blockInfo(d.source()).getAllocation();
            } catch (LibvirtException e) {
                throw Libvirt.failure("reading the allocation of disk " + d.name(), e);
            }
        }
        if (free < needed) {
            throw new BackupException(ErrorCode.NO_SPACE, "the target has " + free + " bytes free; a full backup of the "
                    + "domain needs about " + needed + " (what its disks hold now)");
        }
    }

    @Override
    public void undefineDomain(String domainName, Set<UndefineFlag> flags) {
        Set<UndefineFlag> f = flags == null ? Set.of() : flags;
        if (f.contains(UndefineFlag.BACKUPS) && f.contains(UndefineFlag.KEEP_BACKUPS)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "BACKUPS and KEEP_BACKUPS exclude each other");
        }
        Domain domain = libvirt.domain(domainName);
        DomainRef ref = libvirt.ref(domain);
        synchronized (createLock) {
            List<Backup> backups = list(ref.uuid().toString(), Set.of());
            long managed = backups.stream().filter(b -> b.mode() == BackupMode.MANAGED).count();
            if (managed > 0 && f.isEmpty()) {
                throw new BackupException(ErrorCode.INVALID_STATE, "domain " + ref.name() + " has " + managed
                        + " managed backups; undefine it with BACKUPS to delete them too, or KEEP_BACKUPS to keep them "
                        + "(they still restore to a new domain)");
            }
            requireNotRunning(backups);
            if (f.contains(UndefineFlag.BACKUPS) && !backups.isEmpty()) {
                delete(backups.get(0).uuid(), EnumSet.of(DeleteFlag.ALL));
            }
            try {
                // Checkpoint metadata goes with the domain (libvirt refuses otherwise); with
                // KEEP_BACKUPS the bitmaps stay in the images, harmless without a domain.
                domain.undefine(UNDEFINE_CHECKPOINTS_METADATA);
            } catch (LibvirtException e) {
                throw Libvirt.failure("undefining domain " + ref.name(), e);
            }
            LOG.info("Domain {} undefined; {} of its backups {}", ref.name(), backups.size(),
                    f.contains(UndefineFlag.BACKUPS) ? "deleted" : "kept");
        }
    }

    @Override
    public List<DomainRef> domains() {
        return libvirt.domains();
    }

    // ---- helpers ------------------------------------------------------------------------

    private List<Backup> backups() {
        return catalogue.all().stream().map(CatalogueEntry::backup).toList();
    }

    private BackupProvider provider(String mode) {
        BackupProvider p = providers.get(mode);
        if (p == null) {
            throw new BackupException(ErrorCode.NO_PROVIDER, "no " + mode + " backup provider is registered "
                    + "(is the virt-backup implementation being updated?)");
        }
        return p;
    }

    /** Takes over the jobs of this mode that the catalogue records as running. */
    private void resumeJobs(String mode) {
        BackupProvider provider = providers.get(mode);
        for (CatalogueEntry e : catalogue.all()) {
            Backup b = e.backup();
            if (provider == null || b.state() != JobState.RUNNING || !b.mode().name().equalsIgnoreCase(mode)
                    || jobs.get(b.uuid()).isPresent()) {
                continue;
            }
            try {
                Backup parent = b.parent() == null ? null : catalogue.get(b.parent()).map(CatalogueEntry::backup).orElse(null);
                Optional<BackupJob> job = provider.resume(new JobSpec(b, e.domainXml(), e.directory(), Set.of(), parent));
                if (job.isPresent()) {
                    jobs.watch(b.uuid(), job.get());
                    LOG.info("Resumed backup {} of {}", b.uuid(), b.domain().name());
                } else {
                    catalogue.put(e.with(b.withState(JobState.FAILED, Instant.now(),
                            "the job left no journal to resume from")));
                }
            } catch (RuntimeException ex) {
                LOG.warn("Cannot resume backup {}: {}", b.uuid(), ex.getMessage());
                catalogue.put(e.with(b.withState(JobState.FAILED, Instant.now(), "cannot resume: " + ex.getMessage())));
            }
        }
    }
}
