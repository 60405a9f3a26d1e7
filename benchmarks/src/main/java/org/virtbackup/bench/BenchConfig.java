package org.virtbackup.bench;

import java.lang.annotation.Annotation;

import org.virtbackup.impl.config.VirtBackupConfig;

/** The service's configuration as Declarative Services would hand it over, for use outside OSGi. */
public record BenchConfig(String libvirt_uri, String target_directory, String runtime_directory,
        String scratch_directory, String restore_roots, String qemu_img, String qemu_storage_daemon,
        int copy_parallelism)
        implements VirtBackupConfig {

    @Override
    public String target_roots() {
        return target_directory();
    }

    /** Exports listen on private unix sockets, as by default. */
    @Override
    public String nbd_transport() {
        return "unix";
    }

    @Override
    public String nbd_tcp_address() {
        return "127.0.0.1";
    }

    @Override
    public String nbd_tcp_ports() {
        return "10809-10849";
    }

    @Override
    public boolean nbd_tls() {
        return false;
    }

    /** A benchmark ends its exports itself. */
    @Override
    public long export_expiry_seconds() {
        return 0;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return VirtBackupConfig.class;
    }
}
