package org.virtbackup.impl.libvirt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.ErrorCallback;
import org.libvirt.LibvirtException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.VirtBackupConfig;

/**
 * The connection to libvirtd, shared by the facade and the providers. Opened on first use and
 * reopened when it died, so the service comes up even while libvirtd is still starting.
 */
@Component(service = Libvirt.class, configurationPid = VirtBackupConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
public final class LibvirtConnection implements Libvirt {

    private final String uri;
    /**
     * Errors reach callers as exceptions; without a handler libvirt also prints each to stderr
     * (expected ones too, such as a lookup of a domain that is gone). Held here so JNA keeps it.
     */
    private final ErrorCallback quiet = new ErrorCallback();
    private final StoragePools pools = new LibvirtStoragePools(this);
    private Connect connect;

    @Activate
    public LibvirtConnection(VirtBackupConfig config) {
        this(config.libvirt_uri());
    }

    public LibvirtConnection(String uri) {
        this.uri = uri;
    }

    @Deactivate
    public synchronized void close() {
        if (connect != null) {
            try {
                connect.close();
            } catch (LibvirtException e) {
                // closing a dead connection: nothing left to release
            }
            connect = null;
        }
    }

    synchronized Connect connection() {
        try {
            if (connect != null && connect.isAlive()) {
                return connect;
            }
        } catch (LibvirtException e) {
            // fall through and reconnect
        }
        close(); // the dead connection's resources go before a new one is opened
        try {
            connect = new Connect(uri);
            connect.setConnectionErrorCallback(quiet);
            return connect;
        } catch (LibvirtException | UnsatisfiedLinkError e) {
            connect = null;
            throw new BackupException(ErrorCode.LIBVIRT_ERROR, "cannot connect to libvirt at " + uri + ": "
                    + e.getMessage() + " (is libvirtd running? scripts/setup-host.sh starts it)", e);
        }
    }

    @Override
    public LibvirtDomain domain(String nameOrUuid) {
        if (nameOrUuid == null || nameOrUuid.isBlank()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no domain given");
        }
        Connect c = connection();
        try {
            Domain d = isUuid(nameOrUuid) ? c.domainLookupByUUIDString(nameOrUuid) : c.domainLookupByName(nameOrUuid);
            return new ConnectedDomain(d, c, this::connection);
        } catch (LibvirtException e) {
            if (isNoDomain(e)) {
                throw new BackupException(ErrorCode.NO_DOMAIN, "no domain '" + nameOrUuid + "' in libvirt at " + uri);
            }
            throw failure("looking up domain '" + nameOrUuid + "'", e);
        }
    }

    @Override
    public Optional<LibvirtDomain> find(UUID domain) {
        Connect c = connection();
        try {
            return Optional.of(new ConnectedDomain(c.domainLookupByUUIDString(domain.toString()), c, this::connection));
        } catch (LibvirtException e) {
            if (isNoDomain(e)) {
                return Optional.empty();
            }
            throw failure("looking up domain " + domain, e);
        }
    }

    @Override
    public List<DomainRef> domains() {
        try {
            List<DomainRef> refs = new ArrayList<>();
            Connect c = connection();
            for (Domain d : c.listAllDomains(0)) {
                refs.add(new ConnectedDomain(d, c, this::connection).ref());
            }
            refs.sort(Comparator.comparing(DomainRef::name));
            return refs;
        } catch (LibvirtException e) {
            throw failure("listing the domains", e);
        }
    }

    @Override
    public LibvirtDomain define(String domainXml) {
        try {
            Connect c = connection();
            return new ConnectedDomain(c.domainDefineXML(domainXml), c, this::connection);
        } catch (LibvirtException e) {
            throw failure("defining a domain", e);
        }
    }

    @Override
    public StoragePools pools() {
        return pools;
    }

    @Override
    public OptionalInt qemuUid() {
        try {
            return QemuUser.uidOf(connection().getCapabilities());
        } catch (LibvirtException e) {
            throw failure("reading libvirt's capabilities", e);
        }
    }

    /** A libvirt error as a BackupException: {@code NO_DOMAIN} when the domain is gone, else {@code LIBVIRT_ERROR}. */
    static BackupException failure(String what, LibvirtException e) {
        // Not chained: a caller of the API (another bundle, a remote test probe) may not know libvirt's classes.
        return new BackupException(isNoDomain(e) ? ErrorCode.NO_DOMAIN : ErrorCode.LIBVIRT_ERROR,
                what + " failed: " + e.getMessage());
    }

    private static boolean isNoDomain(LibvirtException e) {
        return e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN;
    }

    private static boolean isUuid(String s) {
        try {
            return UUID.fromString(s).toString().equalsIgnoreCase(s);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
