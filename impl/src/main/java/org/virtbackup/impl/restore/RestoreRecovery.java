package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.firmware.FirmwareRestore;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * Finishes or undoes the restores a crash cut short, at activation before anything else runs
 * ({@link RestoreIntent}), each holding its domain's lock; a finished one that was to put the
 * backup's firmware state back puts it back, unless the domain runs again or is gone (then the
 * log says that its firmware is not the backup's).
 */
final class RestoreRecovery {

    private static final Logger LOG = LoggerFactory.getLogger(RestoreRecovery.class);

    private final Catalogue catalogue;
    private final DomainLocks locks;
    private final Libvirt libvirt;
    private final FirmwareRestore firmware;
    private final Function<CatalogueEntry, Function<FirmwareFile, byte[]>> firmwareOf;

    RestoreRecovery(Catalogue catalogue, DomainLocks locks, Libvirt libvirt, FirmwareRestore firmware,
            Function<CatalogueEntry, Function<FirmwareFile, byte[]>> firmwareOf) {
        this.catalogue = catalogue;
        this.locks = locks;
        this.libvirt = libvirt;
        this.firmware = firmware;
        this.firmwareOf = firmwareOf;
    }

    void recover(List<Path> backupDirectories) {
        Map<Path, CatalogueEntry> entries = new HashMap<>();
        catalogue.all().forEach(e -> entries.put(e.directory(), e));
        for (Path dir : backupDirectories) {
            if (!RestoreIntent.pendingIn(dir)) {
                continue;
            }
            Optional<CatalogueEntry> entry = Optional.ofNullable(entries.get(dir));
            Optional<DomainRef> domain = entry.map(e -> e.backup().domain());
            // A restore an older instance of the service still runs holds the domain: it is not ours to undo.
            try (DomainLocks.Held held = domain.map(d -> locks.hold(d, DomainLocks.Access.EDIT,
                    "the recovery of restores cut short")).orElse(() -> { })) {
                RestoreIntent.recover(dir, () -> putFirmwareBack(entry, dir), this::defined)
                        .forEach(done -> LOG.warn("A restore from {} was cut short: {}", dir, done));
            } catch (IOException | RuntimeException e) {
                LOG.error("Cannot recover a restore recorded in {}: {}", dir, e.getMessage());
            }
        }
    }

    /** Whether libvirt has a domain of the name; a libvirt that cannot say fails the recovery, and the record stays. */
    private boolean defined(String name) {
        try {
            libvirt.domain(name);
            return true;
        } catch (BackupException e) {
            if (e.code() == ErrorCode.NO_DOMAIN) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Over the domain's files, if it is still shut off: one that runs again (autostart, an
     * operator) has booted on the firmware it had, and writing under its QEMU and swtpm would
     * be overwritten or worse. Without the backup in the catalogue (its repository not reachable
     * yet) the record stays for the next start.
     */
    private void putFirmwareBack(Optional<CatalogueEntry> entry, Path dir) throws IOException {
        CatalogueEntry e = entry.orElseThrow(() -> new IOException("no backup in the catalogue holds " + dir
                + " now: its firmware state is put back at a later start"));
        DomainRef ref = e.backup().domain();
        Optional<LibvirtDomain> domain = libvirt.find(ref.uuid());
        if (domain.isEmpty() || domain.get().isActive()) {
            LOG.error("Domain {} {}: the NVRAM and TPM state of backup {} were not put back with its disks; restore "
                    + "the backup again with the domain shut off", ref.name(), domain.isEmpty() ? "is gone"
                            : "runs again", e.backup().uuid());
            return;
        }
        firmware.putBack(domain.get().xml(), firmwareOf.apply(e), e.backup().firmware());
    }
}
