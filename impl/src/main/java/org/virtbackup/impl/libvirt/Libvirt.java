package org.virtbackup.impl.libvirt;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
public final class Libvirt {

    private final String uri;
    /**
     * Errors reach callers as exceptions; without a handler libvirt also prints each to stderr
     * (expected ones too, such as a lookup of a domain that is gone). Held here so JNA keeps it.
     */
    private final ErrorCallback quiet = new ErrorCallback();
    private Connect connect;

    @Activate
    public Libvirt(VirtBackupConfig config) {
        this(config.libvirt_uri());
    }

    public Libvirt(String uri) {
        this.uri = uri;
    }

    public String uri() {
        return uri;
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

    public synchronized Connect connection() {
        try {
            if (connect != null && connect.isAlive()) {
                return connect;
            }
        } catch (LibvirtException e) {
            // fall through and reconnect
        }
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

    /** The domain by name or UUID string. */
    public Domain domain(String nameOrUuid) {
        if (nameOrUuid == null || nameOrUuid.isBlank()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no domain given");
        }
        Connect c = connection();
        try {
            if (isUuid(nameOrUuid)) {
                return c.domainLookupByUUIDString(nameOrUuid);
            }
            return c.domainLookupByName(nameOrUuid);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                throw new BackupException(ErrorCode.NO_DOMAIN, "no domain '" + nameOrUuid + "' in libvirt at " + uri);
            }
            throw failure("looking up domain '" + nameOrUuid + "'", e);
        }
    }

    /** Every domain libvirt knows, running or not, sorted by name. */
    public List<DomainRef> domains() {
        try {
            List<DomainRef> refs = new ArrayList<>();
            for (Domain d : connection().listAllDomains(0)) {
                refs.add(ref(d));
            }
            refs.sort(Comparator.comparing(DomainRef::name));
            return refs;
        } catch (LibvirtException e) {
            throw failure("listing the domains", e);
        }
    }

    public DomainRef ref(Domain domain) {
        try {
            return new DomainRef(domain.getName(), UUID.fromString(domain.getUUIDString()));
        } catch (LibvirtException e) {
            throw failure("reading a domain's name", e);
        }
    }

    /** Whether the domain runs (QEMU is up). */
    public static boolean isActive(Domain domain) {
        try {
            return domain.isActive() == 1;
        } catch (LibvirtException e) {
            throw failure("reading the domain's state", e);
        }
    }

    public static BackupException failure(String what, LibvirtException e) {
        return new BackupException(ErrorCode.LIBVIRT_ERROR, what + " failed: " + e.getMessage(), e);
    }

    private static boolean isUuid(String s) {
        try {
            return UUID.fromString(s).toString().equalsIgnoreCase(s);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
