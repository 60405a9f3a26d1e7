package org.virtbackup.bench;

import java.nio.file.Path;

import org.virtbackup.api.BackupService;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.provider.ManagedBackupProvider;
import org.virtbackup.impl.provider.UnmanagedBackupProvider;
import org.virtbackup.impl.service.BackupServiceImpl;
import org.virtbackup.impl.service.ServiceAccess;
import org.virtbackup.impl.target.DirectoryTarget;

/**
 * The virt-backup service wired by hand, in this JVM, the way Declarative Services wires it in
 * Karaf: libvirt connection, directory target, managed and unmanaged providers, facade. {@link #close()}
 * deactivates them in reverse order.
 */
public final class ServiceHarness implements AutoCloseable {

    /** Mode property values of the providers. */
    public static final String MANAGED = "managed";
    public static final String UNMANAGED = "unmanaged";

    private final Libvirt libvirt;
    private final DirectoryTarget target;
    private final ManagedBackupProvider provider;
    private final UnmanagedBackupProvider exports;
    private final BackupServiceImpl service;

    public ServiceHarness(BenchConfig config) {
        this.libvirt = new Libvirt(config.libvirt_uri());
        this.target = new DirectoryTarget(Path.of(config.target_directory()));
        this.provider = new ManagedBackupProvider(libvirt, config);
        this.exports = new UnmanagedBackupProvider(libvirt, config);
        this.service = new BackupServiceImpl(libvirt, target, config);
        ServiceAccess.bindProvider(service, provider, MANAGED);
        ServiceAccess.bindProvider(service, exports, UNMANAGED);
    }

    public BackupService service() {
        return service;
    }

    public Path targetRoot() {
        return target.root();
    }

    @Override
    public void close() {
        try {
            ServiceAccess.unbindProvider(service, exports, UNMANAGED);
            ServiceAccess.unbindProvider(service, provider, MANAGED);
            service.deactivate();
            exports.deactivate();
            provider.deactivate();
        } finally {
            libvirt.close();
        }
    }
}
