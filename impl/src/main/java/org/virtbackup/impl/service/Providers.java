package org.virtbackup.impl.service;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.spi.BackupProvider;

/** The registered {@link BackupProvider}s, one per mode; they come and go (hot swap). */
final class Providers {

    private final Map<BackupMode, BackupProvider> byMode = new ConcurrentHashMap<>();

    /** The mode a provider's service properties name ({@value BackupProvider#MODE}), if one we know. */
    static Optional<BackupMode> modeOf(Map<String, Object> properties) {
        try {
            return Optional.of(BackupMode.valueOf(String.valueOf(properties.get(BackupProvider.MODE)).toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    void bind(BackupMode mode, BackupProvider provider) {
        byMode.put(mode, provider);
    }

    void unbind(BackupMode mode, BackupProvider provider) {
        byMode.remove(mode, provider);
    }

    Optional<BackupProvider> get(BackupMode mode) {
        return Optional.ofNullable(byMode.get(mode));
    }

    /** The provider of a mode, or {@code NO_PROVIDER}. */
    BackupProvider require(BackupMode mode) {
        return get(mode).orElseThrow(() -> new BackupException(ErrorCode.NO_PROVIDER, "no "
                + mode.name().toLowerCase(Locale.ROOT) + " backup provider is registered "
                + "(is the virt-backup implementation being updated?)"));
    }
}
