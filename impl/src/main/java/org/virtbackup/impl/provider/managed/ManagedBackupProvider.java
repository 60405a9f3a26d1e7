package org.virtbackup.impl.provider.managed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.nbd.Libnbd;
import org.virtbackup.impl.provider.nbd.ExportPlan;
import org.virtbackup.impl.provider.nbd.NbdListener;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.qemu.QemuNbd;
import org.virtbackup.impl.qemu.StorageDaemon;
import org.virtbackup.impl.repository.DiskChunker;
import org.virtbackup.impl.repository.Repositories;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.JobSpec;

import com.sun.jna.Native;

/**
 * Managed backups through libvirt. A running domain is read through a pull-mode job (QEMU
 * exports a frozen view over NBD, {@code qemu-img convert} copies it with parallel requests):
 * measured here at about half the time of libvirt's push mode, see the README. A shut-off
 * domain's images are copied directly; qemu-img's image lock keeps the domain from starting
 * and writing meanwhile.
 */
@Component(service = BackupProvider.class, configurationPid = VirtBackupConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = BackupProvider.MODE + "=managed")
public final class ManagedBackupProvider implements BackupProvider {

    /**
     * How long stopping waits for a job's thread: one between starting a copy and journaling it
     * takes milliseconds, a repository backup's streams a chunk each, an offline incremental its
     * storage daemon's end.
     */
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);

    private final Libvirt libvirt;
    private final QemuImg qemuImg;
    private final StorageDaemon storageDaemon;
    private final QemuAccess qemuAccess;
    private final Path runtimeDirectory;
    private final Path scratchDirectory;
    private final int scratchReserve;
    private final JobThreads jobThreads;
    private final Resumption resumption;
    private volatile boolean stopping;
    private final FaultPoints faults = FaultPoints.fromSystemProperties();

    private final Repositories repositories;
    private final QemuNbd qemuNbd;
    private volatile DiskChunker chunker;

    @Activate
    public ManagedBackupProvider(@Reference Libvirt libvirt, @Reference Repositories repositories, VirtBackupConfig config) {
        this.libvirt = libvirt;
        this.repositories = repositories;
        this.qemuNbd = new QemuNbd(config.qemu_nbd(), Duration.ofSeconds(config.process_stall_seconds()));
        Duration stall = Duration.ofSeconds(config.process_stall_seconds());
        this.qemuImg = new QemuImg(config.qemu_img(), config.copy_parallelism(), stall);
        this.storageDaemon = new StorageDaemon(config.qemu_storage_daemon(), stall);
        this.qemuAccess = new QemuAccess(libvirt::qemuUid);
        this.runtimeDirectory = Paths.resolve(config.runtime_directory());
        this.scratchDirectory = Paths.resolve(config.scratch_directory());
        this.scratchReserve = config.scratch_reserve_percent();
        this.jobThreads = new JobThreads("virt-backup-managed", STOP_WAIT);
        this.resumption = new Resumption(libvirt, qemuImg, runtimeDirectory, jobThreads, () -> stopping);
    }

    /**
     * Stops watching jobs but leaves their copies and libvirt jobs running for the next provider;
     * returns once this instance's job threads have returned, or after {@link #STOP_WAIT} (logged).
     */
    @Deactivate
    public void deactivate() {
        stopping = true;
        jobThreads.stop();
    }

    @Override
    public BackupJob start(JobSpec spec) {
        LibvirtDomain domain = libvirt.domain(spec.backup().domain().uuid().toString());
        try {
            return begin(spec, domain);
        } catch (RuntimeException | Error e) { // JNA's Errors too: the caller keeps no record to undo this from
            // Nothing of a job that did not start stays: not its libvirt job, not its checkpoint.
            try {
                resumption.undo(spec, domain);
            } catch (RuntimeException | Error cleanup) {
                if (cleanup != e) { // the very same Error again (a shared OutOfMemoryError) cannot suppress itself
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    private BackupJob begin(JobSpec spec, LibvirtDomain domain) {
        boolean running = domain.isActive();
        boolean quiesce = spec.flags().contains(CreateFlag.QUIESCE);
        if (quiesce && !running) {
            throw new BackupException(ErrorCode.INVALID_STATE, "QUIESCE needs a running domain with a guest agent");
        }
        if (spec.backup().inRepository()) {
            return beginRepository(spec, domain, running, quiesce);
        }
        if (spec.parent() != null && running) {
            PushIncrementalJob job = PushIncrementalJob.begin(spec, domain, qemuImg, quiesce, () -> stopping, faults);
            jobThreads.start(job);
            return job;
        }
        Set<String> chosen = spec.backup().disks().stream().map(BackupDisk::name).collect(Collectors.toSet());
        List<DomainDisk> all = DomainXml.disks(spec.domainXml());
        if (spec.parent() != null) {
            qemuAccess.privateDirectory(runtimeDirectory, "runtime.directory");
            OfflineIncrementalJob job = new OfflineIncrementalJob(spec, domain, qemuImg, storageDaemon, runtimeDirectory);
            jobThreads.start(job);
            return job;
        }
        if (!running && spec.backup().checkpoint() != null) {
            // The bitmap first: a write that slips in before the copy is then both copied and
            // recorded, never lost to the next incremental.
            for (DomainDisk d : all) {
                if (chosen.contains(d.name())) {
                    qemuImg.addBitmap(d.source(), spec.backup().checkpoint());
                }
            }
            Checkpoints.redefine(domain, spec.backup().checkpoint(), all, chosen);
        }
        PullExport export = null;
        if (running) {
            qemuAccess.workDirectories(runtimeDirectory, scratchDirectory);
            export = PullExport.begin(domain, new ExportPlan(spec.backup().uuid(), all, chosen,
                    NbdListener.unix(socket(spec)), scratchDirectory, null, spec.backup().checkpoint(), quiesce, scratchReserve));
        }
        faults.reach("create.before-journal");
        JobJournal journal = JobJournal.create(spec.directory(),
                export != null ? JobJournal.Source.PULL : JobJournal.Source.OFFLINE);
        faults.reach("create.after-journal");
        return launch(new ManagedJob(spec, qemuImg, journal, export, () -> stopping));
    }

    /**
     * A backup into a repository: the same pull-mode export as a full backup (incremental with the
     * parent's checkpoint: its dirty bitmap tells what to read), or for a shut-off domain its
     * images exported by qemu-nbd, the new checkpoint's bitmap added first.
     */
    private BackupJob beginRepository(JobSpec spec, LibvirtDomain domain, boolean running, boolean quiesce) {
        BackupWriter writer = repositories.writer(spec.backup().disks().get(0).target(), spec.backup().uuid());
        try {
            Set<String> chosen = spec.backup().disks().stream().map(BackupDisk::name).collect(Collectors.toSet());
            List<DomainDisk> all = DomainXml.disks(spec.domainXml());
            PullExport export = null;
            if (running) {
                qemuAccess.workDirectories(runtimeDirectory, scratchDirectory);
                export = PullExport.begin(domain, new ExportPlan(spec.backup().uuid(), all, chosen,
                        NbdListener.unix(socket(spec)), scratchDirectory, spec.parent() == null ? null
                                : spec.parent().checkpoint(), spec.backup().checkpoint(), quiesce, scratchReserve));
            } else {
                qemuAccess.privateDirectory(runtimeDirectory, "runtime.directory");
                if (spec.backup().checkpoint() != null) {
                    all.stream().filter(d -> chosen.contains(d.name()))
                            .forEach(d -> qemuImg.addBitmap(d.source(), spec.backup().checkpoint()));
                    Checkpoints.redefine(domain, spec.backup().checkpoint(), all, chosen);
                }
            }
            faults.reach("create.before-journal");
            JobJournal journal = JobJournal.create(spec.directory(), JobJournal.Source.REPOSITORY);
            faults.reach("create.after-journal");
            RepositoryJob job = new RepositoryJob(spec, journal, export, socket(spec), writer, repositories, chunker(),
                    qemuNbd, runtimeDirectory, () -> stopping, jobThreads);
            jobThreads.start(job);
            return job;
        } catch (RuntimeException | Error e) { // an open writer's lease would keep collections away for good
            writer.close();
            throw e;
        }
    }

    /** libnbd is loaded at the first repository backup: a host without it runs every other backup. */
    private DiskChunker chunker() {
        DiskChunker c = chunker;
        if (c == null) {
            try {
                c = new DiskChunker(Native.load("nbd", Libnbd.class), repositories.streams(), jobThreads);
            } catch (UnsatisfiedLinkError e) {
                throw new BackupException(ErrorCode.NOT_SUPPORTED, "repository backups need libnbd (Debian: apt-get "
                        + "install libnbd0): " + e.getMessage());
            }
            chunker = c;
        }
        return c;
    }

    @Override
    public Optional<BackupJob> resume(JobSpec spec) {
        return resumption.resume(spec);
    }

    private ManagedJob launch(ManagedJob job) {
        jobThreads.start(job);
        return job;
    }

    private Path socket(JobSpec spec) {
        return resumption.socket(spec);
    }
}
