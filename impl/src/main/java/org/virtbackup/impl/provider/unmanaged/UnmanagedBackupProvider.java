package org.virtbackup.impl.provider.unmanaged;

import static org.virtbackup.impl.provider.Resumptions.rethrowIfLibvirtIsAway;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.NbdExport;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.Ticker;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.provider.EndedJob;
import org.virtbackup.impl.provider.nbd.ExportPlan;
import org.virtbackup.impl.provider.nbd.NbdListener;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.JobResult;
import org.virtbackup.spi.JobSpec;

/**
 * Unmanaged backups: libvirt pull-mode jobs whose NBD exports a third-party tool reads. We keep
 * the bookkeeping (catalogue, checkpoint, expiry); the third party keeps the data. An export runs
 * until finishJob, its expiry, or the domain's end; a restart of the service leaves it running
 * and the next provider takes it over.
 */
@Component(service = BackupProvider.class, configurationPid = VirtBackupConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, property = BackupProvider.MODE + "=unmanaged")
public final class UnmanagedBackupProvider implements BackupProvider {

    private static final Logger LOG = LoggerFactory.getLogger(UnmanagedBackupProvider.class);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final Libvirt libvirt;
    private final ListenerPolicy listeners;
    private final Path runtimeDirectory;
    private final Path scratchDirectory;
    private final int scratchReserve;
    private final Duration expiry;
    private final QemuAccess qemuAccess;
    /** The running exports by TCP port, so two never ask for the same one. */
    private final Map<Integer, UnmanagedExport> ports = new ConcurrentHashMap<>();
    private final Ticker checks = new Ticker("virt-backup-exports");

    @Activate
    public UnmanagedBackupProvider(@Reference Libvirt libvirt, VirtBackupConfig config) {
        this.libvirt = libvirt;
        this.qemuAccess = new QemuAccess(libvirt::qemuUid);
        this.runtimeDirectory = Paths.resolve(config.runtime_directory());
        this.listeners = new ListenerPolicy(config, runtimeDirectory);
        this.scratchDirectory = Paths.resolve(config.scratch_directory());
        this.scratchReserve = config.scratch_reserve_percent();
        this.expiry = Duration.ofSeconds(Math.max(0, config.export_expiry_seconds()));
    }

    /** Stops watching; the exports go on for the next provider to take over. */
    @Deactivate
    public void deactivate() {
        checks.close();
    }

    @Override
    public BackupJob start(JobSpec spec) {
        LibvirtDomain domain = libvirt.domain(spec.backup().domain().uuid().toString());
        if (!domain.isActive()) {
            throw new BackupException(ErrorCode.INVALID_STATE, "domain " + spec.backup().domain().name()
                    + " is not running: an NBD export needs QEMU, so start the domain first");
        }
        // Choosing a free port and taking it are one step: exports of two domains start concurrently.
        synchronized (ports) {
            NbdListener listener = listeners.choose(spec.backup().uuid(), spec.server(), ports.keySet());
            List<DomainDisk> all = DomainXml.disks(spec.domainXml());
            Set<String> chosen = spec.backup().disks().stream().map(BackupDisk::name).collect(Collectors.toSet());
            String since = spec.parent() == null ? null : spec.parent().checkpoint();
            qemuAccess.workDirectories(runtimeDirectory, scratchDirectory);
            PullExport export = PullExport.begin(domain, new ExportPlan(spec.backup().uuid(), all, chosen, listener,
                    scratchDirectory, since, spec.backup().checkpoint(), spec.flags().contains(CreateFlag.QUIESCE), scratchReserve));
            List<BackupDisk> disks = spec.backup().disks().stream().map(d -> new BackupDisk(d.name(), d.format(), "",
                    d.capacity(), 0, new NbdExport(listener.uri(d.name()), d.name(),
                            since == null ? "" : "qemu:dirty-bitmap:" + PullExport.bitmap(d.name())))).toList();
            return watch(new UnmanagedExport(export, domain, disks, expiresAt(spec), expiry), listener);
        }
    }

    /**
     * Takes up an export a stop left open. A libvirtd that does not answer yet fails nothing: the
     * resumer asks again (recorded failed now, the export would run on unwatched, never expiring).
     */
    @Override
    public Optional<BackupJob> resume(JobSpec spec) {
        List<BackupDisk> disks = spec.backup().disks();
        String uuid = spec.backup().uuid().toString();
        if (disks.isEmpty() || disks.get(0).export() == null) {
            // Stopped between the libvirt job's start and the record of its URIs: a job naming the backup may run.
            return Optional.of(new EndedJob(new JobResult(JobState.FAILED, "the service stopped while the export "
                    + "started" + endCutShort(spec), disks)));
        }
        NbdListener listener = NbdListener.parse(disks.get(0).export().uri());
        LibvirtDomain domain;
        PullExport export;
        try {
            domain = libvirt.domain(spec.backup().domain().uuid().toString());
            export = PullExport.attach(domain, listener, uuid);
        } catch (BackupException e) {
            rethrowIfLibvirtIsAway(e);
            return Optional.of(new EndedJob(new JobResult(JobState.FAILED, e.getMessage(), disks)));
        }
        return Optional.of(watch(new UnmanagedExport(export, domain, disks, expiresAt(spec), expiry), listener));
    }

    /** Ends the libvirt job of an export whose start was cut short, if one runs; what happened, for the message. */
    private String endCutShort(JobSpec spec) {
        String uuid = spec.backup().uuid().toString();
        try {
            LibvirtDomain domain = libvirt.domain(spec.backup().domain().uuid().toString());
            return PullExport.endIfRunning(domain, NbdListener.unix(runtimeDirectory.resolve(uuid + ".sock")), uuid)
                    ? "; its libvirt job was ended" : "";
        } catch (BackupException e) {
            rethrowIfLibvirtIsAway(e);
            return e.code() == ErrorCode.NO_DOMAIN ? "" : "; its libvirt job could not be ended: " + e.getMessage();
        }
    }

    private UnmanagedExport watch(UnmanagedExport job, NbdListener listener) {
        if (!listener.isUnix()) {
            ports.put(listener.port(), job);
        }
        job.result().whenComplete((r, e) -> ports.values().remove(job));
        // check() says itself what libvirt could not answer; this is for whatever else escapes it.
        checks.repeatUntilDone(CHECK_EVERY, CHECK_EVERY, job::check, e -> LOG.warn(
                "Checking an export failed (tried again in {} s)", CHECK_EVERY.toSeconds(), e));
        return job;
    }

    private Instant expiresAt(JobSpec spec) {
        return expiry.isZero() ? null : spec.backup().creationTime().plus(expiry);
    }
}
