package org.virtbackup.bench;

import java.lang.annotation.Annotation;

import org.virtbackup.impl.config.VirtBackupConfig;

/** The service's configuration as Declarative Services would hand it over, for use outside OSGi. */
public record BenchConfig(String libvirt_uri, String target_directory, String runtime_directory,
        String scratch_directory, String restore_roots, String qemu_img, String qemu_storage_daemon,
        int copy_parallelism)
        implements VirtBackupConfig {

    @Override
    public Class<? extends Annotation> annotationType() {
        return VirtBackupConfig.class;
    }
}
