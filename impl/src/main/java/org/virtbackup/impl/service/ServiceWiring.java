package org.virtbackup.impl.service;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.virtbackup.api.BackupMode;
import org.virtbackup.impl.backup.BackupStarter;
import org.virtbackup.impl.backup.ParentChoice;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.chain.ChainEditor;
import org.virtbackup.impl.chain.MergeRecovery;
import org.virtbackup.impl.chain.Undefiner;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.files.FileRestore;
import org.virtbackup.impl.firmware.FirmwareRestore;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.jobs.JobTracker;
import org.virtbackup.impl.jobs.Parameters;
import org.virtbackup.impl.jobs.ProgressEvents;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.qemu.QemuNbd;
import org.virtbackup.impl.repository.ChunkSource;
import org.virtbackup.impl.repository.ManifestCatalogue;
import org.virtbackup.impl.repository.RepositoryCopy;
import org.virtbackup.impl.repository.Repositories;
import org.virtbackup.impl.repository.RepositoryMaintenance;
import org.virtbackup.impl.repository.RepositoryRefresh;
import org.virtbackup.impl.restore.InstantRestoreAccess;
import org.virtbackup.impl.restore.InstantRestores;
import org.virtbackup.impl.restore.Restorer;
import org.virtbackup.impl.storage.StorageRouter;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.impl.xml.InputLimits;
import org.virtbackup.impl.xml.RequestXml;
import org.virtbackup.spi.StorageTarget;

/**
 * The one place where the facade's collaborators are built and wired: each gets what it needs
 * through its constructor, so each can be built on its own in a unit test. Building starts
 * nothing: {@link #recover()} and {@link #start()} do, at the facade's activation, and
 * {@link #close()} ends the background work at its deactivation.
 */
final class ServiceWiring {

    final Libvirt libvirt;
    final BackupXml xml = new BackupXml();
    final Catalogue catalogue;
    final RequestXml requests;
    final Events events = new Events();
    final Providers providers = new Providers();
    final StorageRouter storage;
    final JobTracker jobs;
    final JobResumer resumer;
    final Parameters parameters;
    final ProgressEvents progressEvents;
    final BackupStarter starter;
    final ChainEditor chains;
    final MergeRecovery mergeRecovery;
    final Undefiner undefiner;
    final Restorer restorer;
    final InstantRestoreAccess instantRestoreAccess;
    final StartupSweep sweep;
    final RepositoryMaintenance maintenance;
    final RepositoryRefresh repositoryRefresh;
    final RepositoryCopy repositoryCopies;
    final FileRestore files;
    /** The threads of repository restores: started on demand, gone when idle. */
    final ExecutorService restoreWorkers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "virt-backup-restore");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param global the configured directory target ({@code target.directory})
     */
    ServiceWiring(Libvirt libvirt, StorageTarget global, VirtBackupConfig config, DomainLocks domainLocks,
            Repositories repositories) {
        this.libvirt = libvirt;
        Path globalRoot = Paths.resolve(config.target_directory());
        // A repository backup's records (restores, deletions) go where it ran: its directory in the global target.
        this.catalogue = new Catalogue(xml, new ManifestCatalogue(repositories, xml,
                b -> globalRoot.resolve(b.domain().uuid().toString()).resolve(b.uuid().toString())));
        this.requests = new RequestXml(xml, new InputLimits(config.xml_max_bytes()));
        QemuImg qemuImg = new QemuImg(config.qemu_img(), config.copy_parallelism(),
                Duration.ofSeconds(config.process_stall_seconds()));
        Checkpoints checkpoints = new Checkpoints(libvirt, qemuImg);
        CopyTracker copies = new CopyTracker();
        FaultPoints faults = FaultPoints.fromSystemProperties();
        // Every operation changing a domain's backups or disks holds its lock: they never interleave.
        DomainLocks locks = domainLocks.waiting(Duration.ofSeconds(config.lock_wait_seconds()));
        this.storage = new StorageRouter(global, globalRoot, Paths.list(config.target_roots()), libvirt.pools(),
                new QemuAccess(libvirt::qemuUid), repositories);
        InstantRestores instantRestores = new InstantRestores(libvirt);
        this.jobs = new JobTracker(catalogue, storage, checkpoints, events, faults);
        this.resumer = new JobResumer(catalogue, jobs, domainLocks.waiting(Duration.ZERO), providers);
        this.parameters = new Parameters(catalogue, jobs, copies);
        this.progressEvents = new ProgressEvents(catalogue, jobs, events);
        this.starter = new BackupStarter(libvirt, catalogue, storage, new ParentChoice(catalogue, qemuImg), jobs,
                checkpoints, events, locks, faults, Paths.resolve(config.firmware_tpm_directory()));
        this.chains = new ChainEditor(catalogue, storage, checkpoints, qemuImg, instantRestores, copies, events, locks, faults);
        this.mergeRecovery = new MergeRecovery(catalogue, storage, qemuImg, chains, locks);
        this.undefiner = new Undefiner(libvirt, catalogue, chains, locks);
        this.instantRestoreAccess = new InstantRestoreAccess(catalogue, storage, instantRestores);
        this.sweep = new StartupSweep(catalogue, storage, libvirt, checkpoints,
                domainLocks.waiting(Duration.ZERO), Paths.resolve(config.runtime_directory()));
        this.maintenance = new RepositoryMaintenance(catalogue, storage, repositories, locks);
        this.repositoryCopies = new RepositoryCopy(catalogue, repositories, locks);
        this.repositoryRefresh = new RepositoryRefresh(maintenance,
                Duration.ofSeconds(config.repository_refresh_seconds()));
        ChunkSource chunks = new ChunkSource(repositories, qemuImg, new QemuNbd(config.qemu_nbd(),
                Duration.ofSeconds(config.process_stall_seconds())), Paths.resolve(config.runtime_directory()), restoreWorkers);
        this.restorer = new Restorer(libvirt, catalogue, qemuImg, Paths.list(config.restore_roots()), jobs, copies, locks,
                instantRestoreAccess, faults, chunks, new FirmwareRestore(Paths.resolve(config.firmware_tpm_directory())));
        this.files = new FileRestore(catalogue, locks, Paths.resolve(config.scratch_directory()).resolve("files"), chunks,
                copies, Paths.list(config.restore_roots()), config.qemu_nbd(), faults);
    }

    /**
     * The catalogue loaded from every target and repository; then what a stopped process left
     * half done: merges finished, restores rolled back or on, leftovers swept.
     */
    void recover() {
        List<Path> directories = storage.backups();
        catalogue.load(directories);
        catalogue.loadRepositories(storage.repositories());
        mergeRecovery.recover(directories);
        restorer.recover(directories);
        sweep.sweep(directories);
        files.sweep();
    }

    /**
     * What a stopped process left half done in the backups a StorageTarget of another bundle
     * brings once the service runs (Declarative Services binds it after activation, so {@link
     * #recover} never saw them): merges finished, restores rolled back or on, before their jobs
     * are resumed. Each takes its domain's lock, as operations do.
     */
    void recoverBrought(List<Path> directories) {
        mergeRecovery.recover(directories);
        restorer.recover(directories);
    }

    /** The background work: jobs left running resumed, progress events, instant restores' access, repository refresh. */
    void start() {
        for (BackupMode mode : BackupMode.values()) {
            resumer.resume(mode);
        }
        progressEvents.start();
        instantRestoreAccess.start();
        repositoryRefresh.start();
    }

    void close() {
        resumer.close();
        progressEvents.close();
        instantRestoreAccess.close();
        repositoryRefresh.close();
        jobs.close();
        restoreWorkers.shutdown();
    }
}
