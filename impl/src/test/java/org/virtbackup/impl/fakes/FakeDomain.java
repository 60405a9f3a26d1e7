package org.virtbackup.impl.fakes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.JobStats;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * A domain for unit tests: its state is what the test sets, and what the code under test does to
 * it is recorded. Only what the tested classes use is modelled; the in-container tests prove the
 * real libvirt.
 */
public final class FakeDomain implements LibvirtDomain {

    public final DomainRef ref;
    public boolean active;
    public String xml;
    public final List<String> checkpoints = new ArrayList<>();
    /** The reply to query-named-block-nodes. */
    public String blockNodes = "{\"return\":[]}";
    public final List<String> deletedCheckpoints = new ArrayList<>();
    public boolean undefined;
    /** The running backup job's XML, {@code null} when none runs. */
    public String backupJob;
    /** Whether an abort ends the backup job (a stuck libvirt does not). */
    public boolean abortEndsJob = true;
    public int aborts;
    /** Thrown by {@link #start()} while set. */
    public RuntimeException startFailure;
    /** Thrown by {@link #backupXml()} while set (unchecked): libvirt, or its binding, failing to answer. */
    public Throwable backupXmlFailure;

    /** A domain with one qcow2 disk {@code vda} whose image is {@code image}. */
    public FakeDomain(String name, String image) {
        this.ref = new DomainRef(name, UUID.randomUUID());
        this.xml = "<domain type='kvm'><name>" + name + "</name><devices><disk type='file' device='disk'>"
                + "<driver name='qemu' type='qcow2'/><source file='" + image + "'/><target dev='vda'/></disk>"
                + "</devices></domain>";
    }

    @Override
    public DomainRef ref() {
        return ref;
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public String xml() {
        return xml;
    }

    @Override
    public long capacity(String disk) {
        return 1 << 20;
    }

    @Override
    public long allocation(DomainDisk disk) {
        return 1 << 20;
    }

    @Override
    public boolean hasJob() {
        return false;
    }

    @Override
    public void beginBackup(String backupXml, String checkpointXml, boolean reuseExternal, boolean quiesce) {
        if (backupJob != null) {
            throw new BackupException(ErrorCode.DOMAIN_BUSY, "a backup job is running");
        }
        backupJob = backupXml; // nothing is served: the job is what libvirt would list
        if (checkpointXml != null) {
            Matcher name = Pattern.compile("<name>([^<]+)</name>").matcher(checkpointXml);
            if (name.find()) {
                checkpoints.add(name.group(1));
            }
        }
    }

    @Override
    public Optional<String> backupXml() {
        if (backupXmlFailure instanceof RuntimeException r) {
            throw r;
        }
        if (backupXmlFailure instanceof Error e) {
            throw e;
        }
        return Optional.ofNullable(backupJob);
    }

    @Override
    public void abortJob() {
        aborts++;
        if (abortEndsJob) {
            backupJob = null;
        }
    }

    @Override
    public JobStats jobStats(boolean completed) {
        return new JobStats(JobStats.NONE, Map.of());
    }

    @Override
    public String qmp(String command) {
        return blockNodes;
    }

    @Override
    public List<String> checkpoints() {
        return List.copyOf(checkpoints);
    }

    @Override
    public void deleteCheckpoint(String name, boolean metadataOnly) {
        checkpoints.remove(name);
        deletedCheckpoints.add(name);
    }

    @Override
    public void redefineCheckpoint(String name, String checkpointXml) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void undefine() {
        undefined = true;
    }

    @Override
    public void start() {
        if (startFailure != null) {
            throw startFailure;
        }
        active = true;
    }
}
