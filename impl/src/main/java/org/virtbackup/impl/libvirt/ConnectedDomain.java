package org.virtbackup.impl.libvirt;

import static org.virtbackup.impl.libvirt.LibvirtConnection.failure;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.DomainJobStats;
import org.libvirt.LibvirtException;
import org.libvirt.TypedParameter;
import org.virtbackup.api.DomainRef;

/**
 * A {@link LibvirtDomain} of the live connection: each call is one libvirt call. After libvirtd
 * restarted (a new connection), the domain is looked up again by its UUID, so a job watched
 * across the restart keeps asking about the same domain instead of a handle of a dead connection.
 */
final class ConnectedDomain implements LibvirtDomain {

    /** {@code VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL}. */
    private static final int BEGIN_REUSE_EXTERNAL = 1;
    /** {@code VIR_DOMAIN_BACKUP_BEGIN_QUIESCE}: not in libvirt-java 0.5.4's constants. */
    private static final int BEGIN_QUIESCE = 2;
    /** {@code VIR_DOMAIN_JOB_STATS_COMPLETED | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED}. */
    private static final int COMPLETED_STATS = 1 | 2;
    /** {@code VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY}. */
    private static final int DELETE_METADATA_ONLY = 2;
    /** {@code VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE}. */
    private static final int CREATE_REDEFINE = 1;
    /** {@code VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA}: not in libvirt-java 0.5.4's constants. */
    private static final int UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;
    /** {@code VIR_DOMAIN_UNDEFINE_NVRAM}: a UEFI domain's NVRAM goes with it (libvirt refuses otherwise). */
    private static final int UNDEFINE_NVRAM = 1 << 2;

    private final Supplier<Connect> connection;
    private final String uuid;
    private Connect from;
    private Domain handle;

    /** @param connection the live connection, connecting again when the one {@code domain} came from died */
    ConnectedDomain(Domain domain, Connect from, Supplier<Connect> connection) throws LibvirtException {
        this.connection = connection;
        this.uuid = domain.getUUIDString();
        this.from = from;
        this.handle = domain;
    }

    private synchronized Domain domain() {
        Connect now = connection.get();
        if (now != from) {
            try {
                handle = now.domainLookupByUUIDString(uuid);
                from = now;
            } catch (LibvirtException e) {
                throw LibvirtConnection.failure("looking up domain " + uuid + " again after libvirtd restarted", e);
            }
        }
        return handle;
    }

    /** The domain's name for an error message; libvirt may be unable to tell by then. */
    private String name() {
        try {
            return domain().getName();
        } catch (LibvirtException e) {
            return "(unknown)";
        }
    }

    @Override
    public DomainRef ref() {
        try {
            return new DomainRef(domain().getName(), UUID.fromString(domain().getUUIDString()));
        } catch (LibvirtException e) {
            throw failure("reading a domain's name", e);
        }
    }

    @Override
    public boolean isActive() {
        try {
            return domain().isActive() == 1;
        } catch (LibvirtException e) {
            throw failure("reading the state of domain " + name(), e);
        }
    }

    @Override
    public String xml() {
        try {
            return domain().getXMLDesc(0);
        } catch (LibvirtException e) {
            throw failure("reading the XML of domain " + name(), e);
        }
    }

    @Override
    public long capacity(String disk) {
        try {
            return domain().blockInfo(disk).getCapacity();
        } catch (LibvirtException e) {
            throw failure("reading the size of disk " + disk + " of domain " + name(), e);
        }
    }

    @Override
    public long allocation(DomainDisk disk) {
        try {
            return domain().blockInfo(disk.source()).getAllocation();
        } catch (LibvirtException e) {
            throw failure("reading the allocation of disk " + disk.name() + " of domain " + name(), e);
        }
    }

    @Override
    public boolean hasJob() {
        try {
            return domain().getJobInfo().getType() != JobStats.NONE;
        } catch (LibvirtException e) {
            throw failure("reading the job of domain " + name(), e);
        }
    }

    @Override
    public void beginBackup(String backupXml, String checkpointXml, boolean reuseExternal, boolean quiesce) {
        try {
            domain().backupBegin(backupXml, checkpointXml,
                    (reuseExternal ? BEGIN_REUSE_EXTERNAL : 0) | (quiesce ? BEGIN_QUIESCE : 0));
        } catch (LibvirtException e) {
            throw failure("starting the " + (reuseExternal ? "incremental" : "libvirt") + " backup job of domain " + name(), e);
        }
    }

    @Override
    public Optional<String> backupXml() {
        try {
            return Optional.of(domain().getBackupXMLDesc(0));
        } catch (LibvirtException e) {
            ErrorNumber code = e.getError() == null ? null : e.getError().getCode();
            if (code == ErrorNumber.VIR_ERR_NO_DOMAIN_BACKUP || code == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty(); // no job, or no domain to run one
            }
            // libvirt cannot say (restarting, say): not "no job", which would end a running export
            throw failure("reading the backup job of domain " + name(), e);
        }
    }

    @Override
    public void abortJob() {
        try {
            domain().abortJob();
        } catch (LibvirtException e) {
            // the job is gone already (ended, or the domain stopped): nothing left to abort
        }
    }

    @Override
    public JobStats jobStats(boolean completed) {
        try {
            DomainJobStats stats = domain().getJobStats(completed ? COMPLETED_STATS : 0);
            Map<String, String> fields = new HashMap<>();
            if (stats.stats != null) {
                for (TypedParameter p : stats.stats) {
                    fields.put(p.field, p.getValueAsString());
                }
            }
            return new JobStats(stats.type, fields);
        } catch (LibvirtException e) {
            throw failure("reading the job statistics of domain " + name(), e);
        }
    }

    @Override
    public String qmp(String command) {
        try {
            return domain().qemuMonitorCommand(command, 0);
        } catch (LibvirtException e) {
            throw failure("querying QEMU of domain " + name(), e);
        }
    }

    @Override
    public List<String> checkpoints() {
        try {
            return Arrays.asList(domain().checkpointListNames());
        } catch (LibvirtException e) {
            throw failure("listing the checkpoints of domain " + name(), e);
        }
    }

    @Override
    public void deleteCheckpoint(String name, boolean metadataOnly) {
        try {
            domain().checkpointLookupByName(name).delete(metadataOnly ? DELETE_METADATA_ONLY : 0);
        } catch (LibvirtException e) {
            throw failure("deleting checkpoint " + name, e);
        }
    }

    @Override
    public void redefineCheckpoint(String name, String checkpointXml) {
        try {
            domain().checkpointCreateXML(checkpointXml, CREATE_REDEFINE);
        } catch (LibvirtException e) {
            throw failure("recording checkpoint " + name + " in libvirt", e);
        }
    }

    @Override
    public void undefine() {
        try {
            // Checkpoint metadata and the NVRAM go with the domain (libvirt refuses otherwise), as an
            // emulated TPM's state does by libvirt's default; backups keep their own copies.
            domain().undefine(UNDEFINE_CHECKPOINTS_METADATA | UNDEFINE_NVRAM);
        } catch (LibvirtException e) {
            throw failure("undefining domain " + name(), e);
        }
    }

    @Override
    public void start() {
        try {
            domain().create();
        } catch (LibvirtException e) {
            throw failure("starting domain " + name(), e);
        }
    }
}
