package org.virtbackup.impl.fakes;

import java.lang.annotation.Annotation;
import java.nio.file.Path;

import org.virtbackup.impl.config.VirtBackupConfig;

/** The configuration as Declarative Services would hand it over, every path inside {@code root}. */
public record TestConfig(Path root, String qemuImg) implements VirtBackupConfig {

    @Override
    public String libvirt_uri() {
        return "fake:///";
    }

    @Override
    public String target_directory() {
        return root.resolve("backups").toString();
    }

    @Override
    public String target_roots() {
        return root.resolve("targets").toString();
    }

    @Override
    public String runtime_directory() {
        return root.resolve("run").toString();
    }

    @Override
    public String scratch_directory() {
        return root.resolve("scratch").toString();
    }

    @Override
    public String restore_roots() {
        return root.resolve("restore").toString();
    }

    @Override
    public String qemu_img() {
        return qemuImg;
    }

    @Override
    public String qemu_storage_daemon() {
        return "qemu-storage-daemon";
    }

    @Override
    public int copy_parallelism() {
        return 1;
    }

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

    @Override
    public long export_expiry_seconds() {
        return 0;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return VirtBackupConfig.class;
    }
}
