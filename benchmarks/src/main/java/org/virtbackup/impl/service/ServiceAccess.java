package org.virtbackup.impl.service;

import java.util.Map;

import org.virtbackup.spi.BackupProvider;

/**
 * Benchmarks only: binds a provider to the facade the way Declarative Services would. The bind
 * method is package-private (it is meant for DS alone), hence this class in the same package;
 * it lives in the benchmarks module, which runs outside OSGi, so the split package is harmless.
 */
public final class ServiceAccess {

    private ServiceAccess() {
    }

    public static void bindProvider(BackupServiceImpl service, BackupProvider provider, String mode) {
        service.bindProvider(provider, Map.of(BackupProvider.MODE, mode));
    }

    public static void unbindProvider(BackupServiceImpl service, BackupProvider provider, String mode) {
        service.unbindProvider(provider, Map.of(BackupProvider.MODE, mode));
    }
}
