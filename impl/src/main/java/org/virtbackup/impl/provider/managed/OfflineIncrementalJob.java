package org.virtbackup.impl.provider.managed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.qemu.StorageDaemon;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobSpec;

/**
 * An incremental backup of a shut-off domain: the same overlays as for a running one, filled by a
 * qemu-storage-daemon from the parent checkpoint's bitmap, which lives in the image; then the new
 * checkpoint is made known to libvirt. A job interrupted by a restart is not resumed: it is short,
 * and runs again on request.
 */
final class OfflineIncrementalJob extends JournaledJob {

    private final JobSpec spec;
    private final LibvirtDomain domain;
    private final QemuImg qemuImg;
    private final StorageDaemon daemon;
    private final Path runtimeDirectory;
    private volatile long done;
    private volatile boolean cancelled;

    OfflineIncrementalJob(JobSpec spec, LibvirtDomain domain, QemuImg qemuImg, StorageDaemon daemon, Path runtimeDirectory) {
        super(JobJournal.create(spec.directory(), JobJournal.Source.OFFLINE_INCREMENTAL));
        this.spec = spec;
        this.domain = domain;
        this.qemuImg = qemuImg;
        this.daemon = daemon;
        this.runtimeDirectory = runtimeDirectory;
    }

    @Override
    public JobProgress progress() {
        return new JobProgress(spec.backup().disks().stream().mapToLong(BackupDisk::capacity).sum(), done);
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    void abandon(String reason) {
        finish(cancelled ? JobState.CANCELLED : JobState.FAILED, reason, spec.backup().disks());
    }

    @Override
    void run() {
        Map<String, DomainDisk> sources = DomainXml.disksByName(spec.domainXml());
        try {
            Paths.privateDirectory(runtimeDirectory); // checked when the job began
            List<BackupDisk> disks = new ArrayList<>();
            for (BackupDisk disk : spec.backup().disks()) {
                if (cancelled) {
                    finish(JobState.CANCELLED, "", spec.backup().disks());
                    return;
                }
                Path image = Overlays.create(qemuImg, disk, spec.parent());
                daemon.copyDirty(Path.of(sources.get(disk.name()).source()), image, spec.parent().checkpoint(),
                        spec.backup().checkpoint(), runtimeDirectory.resolve(spec.backup().uuid() + "-" + disk.name() + ".qmp"));
                done += disk.capacity();
                disks.add(disk.withStored(Files.size(image)));
            }
            Set<String> chosen = disks.stream().map(BackupDisk::name).collect(Collectors.toSet());
            Checkpoints.redefine(domain, spec.backup().checkpoint(), DomainXml.disks(spec.domainXml()), chosen);
            finish(JobState.COMPLETED, "", disks);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish(JobState.FAILED, "interrupted", spec.backup().disks());
        } catch (IOException | RuntimeException e) {
            finish(JobState.FAILED, e.getMessage(), spec.backup().disks());
        }
    }
}
