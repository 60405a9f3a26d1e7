package org.virtbackup.impl.fakes;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.libvirt.StoragePools;

/** A libvirt of fake domains for unit tests; it has no storage pools. */
public final class FakeLibvirt implements Libvirt {

    private final Map<UUID, FakeDomain> domains = new ConcurrentHashMap<>();

    public FakeDomain add(FakeDomain domain) {
        domains.put(domain.ref.uuid(), domain);
        return domain;
    }

    @Override
    public String uri() {
        return "fake:///";
    }

    @Override
    public LibvirtDomain domain(String nameOrUuid) {
        return domains.values().stream()
                .filter(d -> d.ref.name().equals(nameOrUuid) || d.ref.uuid().toString().equals(nameOrUuid)).findFirst()
                .orElseThrow(() -> new BackupException(ErrorCode.NO_DOMAIN, "no domain '" + nameOrUuid + "'"));
    }

    @Override
    public Optional<LibvirtDomain> find(UUID domain) {
        return Optional.ofNullable(domains.get(domain));
    }

    @Override
    public List<DomainRef> domains() {
        return domains.values().stream().map(d -> d.ref).toList();
    }

    @Override
    public LibvirtDomain define(String domainXml) {
        throw new UnsupportedOperationException("no domains are defined in unit tests");
    }

    @Override
    public StoragePools pools() {
        return null; // tests route to directories only
    }
}
