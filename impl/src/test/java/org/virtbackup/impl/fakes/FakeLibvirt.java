package org.virtbackup.impl.fakes;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.libvirt.StoragePools;

/** A libvirt of fake domains for unit tests; it has no storage pools. */
public final class FakeLibvirt implements Libvirt {

    /** No pool exists, and no path is a volume. */
    private static final StoragePools NO_POOLS = new StoragePools() {
        @Override
        public void require(String name) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "no storage pool '" + name + "' in libvirt");
        }

        @Override
        public long available(String name) {
            require(name);
            return 0;
        }

        @Override
        public Path create(String pool, String volume, long capacity) {
            require(pool);
            return null;
        }

        @Override
        public boolean delete(Path path, String namePrefix) {
            return false;
        }
    };

    private final Map<UUID, FakeDomain> domains = new ConcurrentHashMap<>();
    /** While true, every call fails as with libvirtd stopped. */
    public volatile boolean down;

    public FakeDomain add(FakeDomain domain) {
        domains.put(domain.ref.uuid(), domain);
        return domain;
    }

    private void requireUp() {
        if (down) {
            throw new BackupException(ErrorCode.LIBVIRT_ERROR, "cannot connect to libvirt at fake:///");
        }
    }

    @Override
    public LibvirtDomain domain(String nameOrUuid) {
        requireUp();
        return domains.values().stream()
                .filter(d -> d.ref.name().equals(nameOrUuid) || d.ref.uuid().toString().equals(nameOrUuid)).findFirst()
                .orElseThrow(() -> new BackupException(ErrorCode.NO_DOMAIN, "no domain '" + nameOrUuid + "'"));
    }

    @Override
    public Optional<LibvirtDomain> find(UUID domain) {
        requireUp();
        return Optional.ofNullable(domains.get(domain));
    }

    @Override
    public List<DomainRef> domains() {
        return domains.values().stream().map(d -> d.ref).toList();
    }

    /** Thrown by {@link #define} while set. */
    public volatile RuntimeException defineFailure;
    /** Given to each domain {@link #define} makes: thrown by its start. */
    public volatile RuntimeException startFailure;

    /** Records a domain of the XML's name (a new UUID), as libvirt would; nothing runs. */
    @Override
    public LibvirtDomain define(String domainXml) {
        requireUp();
        if (defineFailure != null) {
            throw defineFailure;
        }
        Matcher name = Pattern.compile("<name>([^<]+)</name>").matcher(domainXml);
        if (!name.find()) {
            throw new BackupException(ErrorCode.INVALID_XML, "no name in " + domainXml);
        }
        FakeDomain d = add(new FakeDomain(name.group(1), "/dev/null"));
        d.xml = domainXml;
        d.startFailure = startFailure;
        return d;
    }

    @Override
    public StoragePools pools() {
        return NO_POOLS;
    }

    /** Access for QEMU as on this fake host, where it runs as root: nothing to grant. */
    public static org.virtbackup.impl.qemu.QemuAccess qemuAsRoot() {
        return new org.virtbackup.impl.qemu.QemuAccess(OptionalInt::empty);
    }

    /** The user QEMU runs as; root (empty) unless a test says otherwise. */
    public OptionalInt qemuUid = OptionalInt.empty();

    @Override
    public OptionalInt qemuUid() {
        return qemuUid;
    }
}
