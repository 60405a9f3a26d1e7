package org.virtbackup.impl.restore;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.firmware.FirmwareRestore;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * The new domains restores define on their images (NEW_DOMAIN): a name checked free before the
 * copy, the definition with firmware files of its own, and the start.
 */
final class RestoredDomains {

    private final Libvirt libvirt;
    private final FirmwareRestore firmware;
    private final Function<CatalogueEntry, Function<FirmwareFile, byte[]>> firmwareOf;

    RestoredDomains(Libvirt libvirt, FirmwareRestore firmware,
            Function<CatalogueEntry, Function<FirmwareFile, byte[]>> firmwareOf) {
        this.libvirt = libvirt;
        this.firmware = firmware;
        this.firmwareOf = firmwareOf;
    }

    /** A new domain's name must be free: else the copy would run in vain, and a crash would finish it for the other domain. */
    void requireNameFree(String name) {
        try {
            libvirt.domain(name);
        } catch (BackupException e) {
            if (e.code() == ErrorCode.NO_DOMAIN) {
                return;
            }
            throw e;
        }
        throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a domain named " + name + " exists already; give the "
                + "restored domain another name");
    }

    /** Defines the domain on the restored images; one that fails takes them with it, as nothing else would use them. */
    DomainRef define(CatalogueEntry entry, String name, List<RestoreTarget> plan) {
        Map<String, String[]> images = new LinkedHashMap<>();
        plan.forEach(t -> images.put(t.disk().name(), new String[] {t.target().toString(), t.format()}));
        FirmwareRestore.NewDomain own = null;
        LibvirtDomain d;
        try {
            // Its own UUID, NVRAM and TPM state: two domains never share a firmware file.
            own = firmware.forNewDomain(entry.domainXml(), name, firmwareOf.apply(entry), entry.backup().firmware());
            d = libvirt.define(FirmwareRestore.apply(RestoredDomainXml.of(entry.domainXml(), name, images), own));
        } catch (RuntimeException e) { // not only libvirt's refusal: making the firmware's directories may fail too
            if (own != null) {
                firmware.discard(own);
            }
            plan.forEach(t -> Paths.deleteQuietly(t.target()));
            throw new BackupException(e instanceof BackupException b ? b.code() : ErrorCode.IO_ERROR,
                    "defining the restored domain " + name + ": " + e.getMessage(), e);
        }
        return d.ref();
    }

    /** Takes back a domain this restore defined; its images are the restore's to delete. */
    void undefine(DomainRef domain) {
        libvirt.domain(domain.uuid().toString()).undefine();
    }

    /** A domain defined stays with its files if it does not start: they are its own now. */
    void start(DomainRef domain) {
        try {
            libvirt.domain(domain.uuid().toString()).start();
        } catch (BackupException e) {
            throw new BackupException(e.code(), "domain " + domain.name() + " is restored and defined, but did not "
                    + "start: " + e.getMessage(), e);
        }
    }
}
