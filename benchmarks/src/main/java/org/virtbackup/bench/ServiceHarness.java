package org.virtbackup.bench;

import java.nio.file.Path;

import org.virtbackup.api.BackupService;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.provider.ManagedBackupProvider;
import org.virtbackup.impl.service.BackupServiceImpl;
import org.virtbackup.impl.service.ServiceAccess;
import org.virtbackup.impl.target.DirectoryTarget;

/**
 * The virt-backup service wired by hand, in this JVM, the way Declarative Services wires it in
 * Karaf: libvirt connection, directory target, managed provider, facade. {@link #close()}
 * deactivates them in reverse order.
 */
public final class ServiceHarness implements AutoCloseable {

    /** Mode property value of the managed provider. */
    public static final String MANAGED = "managed";

    private final Libvirt libvirt;
    private final DirectoryTarget target;
    private final ManagedBackupProvider provider;
    private final BackupServiceImpl service;

    public ServiceHarness(BenchConfig config) {
        this.libvirt = new Libvirt(config.libvirt_uri());
        this.target = new DirectoryTarget(Path.of(config.target_directory()));
        this.provider = new ManagedBackupProvider(libvirt, config);
        this.service = new BackupServiceImpl(libvirt, target, config);
        ServiceAccess.bindProvider(service, provider, MANAGED);
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
            ServiceAccess.unbindProvider(service, provider, MANAGED);
            service.deactivate();
            provider.deactivate();
        } finally {
            libvirt.close();
        }
    }
}
