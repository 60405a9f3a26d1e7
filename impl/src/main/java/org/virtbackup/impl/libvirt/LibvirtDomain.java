package org.virtbackup.impl.libvirt;

import java.util.List;
import java.util.Optional;

import org.virtbackup.api.DomainRef;

/**
 * One libvirt domain, with what the service does to it. Failures are {@code BackupException}s
 * with {@code LIBVIRT_ERROR} (or a more precise code) naming what was being done.
 */
public interface LibvirtDomain {

    DomainRef ref();

    /** Whether QEMU runs. */
    boolean isActive();

    /** The domain's live XML ({@code virDomainGetXMLDesc}). */
    String xml();

    /** The disks its XML declares that can be backed up. */
    default List<DomainDisk> disks() {
        return DomainXml.disks(xml());
    }

    /** The disk's virtual size in bytes. */
    long capacity(String disk);

    /** Bytes the disk's image holds now (its allocation), for free-space checks. */
    long allocation(DomainDisk disk);

    /** Whether a libvirt job runs on the domain (a backup, a migration, a snapshot); an error when it is not running. */
    boolean hasJob();

    /** {@code virDomainBackupBegin}. */
    void beginBackup(String backupXml, String checkpointXml, boolean reuseExternal, boolean quiesce);

    /** The running backup job's XML, empty when none runs (or libvirt cannot say). */
    Optional<String> backupXml();

    /** Aborts the domain's job; a job that has ended already is fine. */
    void abortJob();

    /** Statistics of the running job, or with {@code completed} of the last one that ended. */
    JobStats jobStats(boolean completed);

    /** Sends a QMP command to the domain's QEMU and returns its reply. */
    String qmp(String command);

    /** The names of the domain's checkpoints. */
    List<String> checkpoints();

    /** Deletes a checkpoint; {@code metadataOnly}: libvirt forgets it, the bitmaps stay. */
    void deleteCheckpoint(String name, boolean metadataOnly);

    /** Records a checkpoint whose bitmaps were made without libvirt (a shut-off domain). */
    void redefineCheckpoint(String name, String checkpointXml);

    /** Undefines the domain together with its checkpoint metadata. */
    void undefine();

    /** Starts the domain. */
    void start();
}
