package org.virtbackup.impl.service;

import java.nio.file.Path;
import java.util.List;

import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.libvirt.LibvirtConnection;
import org.virtbackup.impl.provider.managed.ManagedBackupProvider;
import org.virtbackup.impl.provider.unmanaged.UnmanagedBackupProvider;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.impl.repository.Repositories;
import org.virtbackup.impl.storage.DirectoryTarget;

/**
 * virt-backup without OSGi, wired as Declarative Services wires it in Karaf: the libvirt
 * connection, the directory target, the managed and unmanaged providers and the facade. For
 * programs that run the real service in their own JVM, such as the benchmarks; {@link #close()}
 * deactivates everything in reverse order (running copies go on, as when Karaf stops).
 */
public final class StandaloneService implements AutoCloseable {

    private final LibvirtConnection libvirt;
    private final DirectoryTarget target;
    private final ManagedBackupProvider managed;
    private final UnmanagedBackupProvider unmanaged;
    private final ServiceWiring parts;
    private final BackupServiceImpl service;

    public StandaloneService(VirtBackupConfig config) {
        this(config, List.of());
    }

    /** With these object stores' endpoints (S3), as the OSGi service has them from their bundle. */
    public StandaloneService(VirtBackupConfig config, List<org.virtbackup.repository.ObjectStoreProvider> stores) {
        this.libvirt = new LibvirtConnection(config.libvirt_uri());
        this.target = DirectoryTarget.at(Paths.resolve(config.target_directory()), new QemuAccess(libvirt::qemuUid));
        Repositories repositories = new Repositories(config, stores);
        this.managed = new ManagedBackupProvider(libvirt, repositories, config);
        this.unmanaged = new UnmanagedBackupProvider(libvirt, config);
        try {
            this.parts = new ServiceWiring(libvirt, target, config, new DomainLocks(), repositories);
            // Bound before activation, as DS binds static references: activation resumes their jobs.
            parts.providers.bind(BackupMode.MANAGED, managed);
            parts.providers.bind(BackupMode.UNMANAGED, unmanaged);
            this.service = new BackupServiceImpl(parts);
        } catch (RuntimeException e) {
            unmanaged.deactivate();
            managed.deactivate();
            libvirt.close();
            throw e;
        }
    }

    public BackupService service() {
        return service;
    }

    /** Where backups go ({@code target.directory}). */
    public Path targetRoot() {
        return target.root();
    }

    @Override
    public void close() {
        try {
            parts.providers.unbind(BackupMode.UNMANAGED, unmanaged);
            parts.providers.unbind(BackupMode.MANAGED, managed);
            service.deactivate();
            unmanaged.deactivate();
            managed.deactivate();
        } finally {
            libvirt.close();
        }
    }
}
