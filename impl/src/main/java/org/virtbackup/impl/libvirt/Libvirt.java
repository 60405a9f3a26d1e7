package org.virtbackup.impl.libvirt;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import org.virtbackup.api.DomainRef;

/**
 * The libvirt daemon as the service sees it: domains to look up and define, storage pools. The
 * one implementation, {@link LibvirtConnection}, is the only holder of a libvirt connection.
 */
public interface Libvirt {

    /** The domain by name or UUID string; {@code NO_DOMAIN} when libvirt knows none. */
    LibvirtDomain domain(String nameOrUuid);

    /** The domain with this UUID, empty when libvirt knows none; a libvirt that cannot be asked is an error. */
    Optional<LibvirtDomain> find(UUID domain);

    /** Every domain libvirt knows, running or not, sorted by name. */
    List<DomainRef> domains();

    /** Defines a persistent domain from its XML. */
    LibvirtDomain define(String domainXml);

    /** The storage pools, for targets that keep images as pool volumes. */
    StoragePools pools();

    /**
     * The user QEMU runs as (the base label of libvirt's DAC security model, {@code user} in
     * qemu.conf); empty when it runs as root, which needs no access granted.
     */
    OptionalInt qemuUid();
}
