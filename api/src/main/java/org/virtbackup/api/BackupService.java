package org.virtbackup.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Backups of libvirt domains: the Java twin of the backup API proposed for libvirt.
 *
 * <p>Every method throws {@link BackupException} with an {@link ErrorCode} on failure. XML
 * arguments follow {@code domainbackup.xsd}; XML with a DTD or entity declaration is refused.
 * A {@link Backup} is an immutable snapshot of a catalogue entry, so the proposal's
 * {@code virBackupFree} has no twin: drop the reference.
 *
 * <p>Domains are named by name or UUID string.
 */
@ProviderType
public interface BackupService {

    /**
     * {@code virDomainBackupCreateXML}: starts a managed backup of a running or shut-off domain
     * and returns at once with the backup in state {@link JobState#RUNNING}.
     *
     * @param domain domain name or UUID
     * @param backupXml a {@code <domainbackup>}; {@code null} or empty backs up every disk
     * @param flags see {@link CreateFlag}
     */
    Backup create(String domain, String backupXml, Set<CreateFlag> flags);

    /** Typed twin of {@link #create(String, String, Set)}. */
    Backup create(String domain, BackupRequest request, Set<CreateFlag> flags);

    /**
     * {@code virBackupStartUnmanaged}: exports the disks of a running domain over NBD for a
     * third-party tool, frozen at this moment (guest writes go on; QEMU keeps the old data in a
     * scratch file). The returned backup's disks carry their {@link NbdExport}s. It stays
     * {@link JobState#RUNNING} until {@link #finishJob} (completed; with
     * {@link FinishJobFlag#CANCEL} its checkpoint is dropped and the record removed) or until
     * the configured expiry ({@link JobState#EXPIRED}, checkpoint dropped).
     *
     * @param backupXml a {@code <domainbackup>} with optional {@code <parent>} (an incremental
     *        export: its disks carry the dirty bitmap of what changed since that backup, managed
     *        or unmanaged), {@code <disks>} (names only) and {@code <server transport='unix|tcp'
     *        name='host' port='n' tls='yes|no'/>}
     */
    Backup startUnmanaged(String domain, String backupXml, Set<CreateFlag> flags);

    /** Typed twin of {@link #startUnmanaged(String, String, Set)}. */
    Backup startUnmanaged(String domain, BackupRequest request, Set<CreateFlag> flags);

    /**
     * {@code virDomainBackupList}: the domain's backups, oldest first.
     *
     * @param domain domain name or UUID; {@code null} lists the backups of every domain
     * @param flags see {@link ListFlag} for how flags combine
     */
    List<Backup> list(String domain, Set<ListFlag> flags);

    /** {@code virBackupListChildren}: direct children, or the subtree with {@link ListFlag#DESCENDANTS}. */
    List<Backup> listChildren(UUID backup, Set<ListFlag> flags);

    /** {@code virBackupRestore}: restores what the {@code <domainbackup>} names. */
    RestoreResult restore(String restoreXml, Set<RestoreFlag> flags);

    /**
     * Typed twin of {@link #restore(String, Set)}.
     *
     * @since 1.3
     */
    RestoreResult restore(RestoreRequest request, Set<RestoreFlag> flags);

    /** {@code virBackupDelete}: removes a backup's files and descriptor. */
    void delete(UUID backup, Set<DeleteFlag> flags);

    /** {@code virBackupGetXMLDesc}: the backup's descriptor in the dump format of the proposal. */
    String getXmlDesc(UUID backup, Set<XmlFlag> flags);

    /** {@code virBackupLookupByUUID}. */
    Optional<Backup> lookup(UUID backup);

    /** {@code virBackupGetDomain}: the domain the backup belongs to. */
    DomainRef getDomain(UUID backup);

    /**
     * {@code virBackupFinishJob}: without flags waits for the job to end and returns its final
     * state; {@link FinishJobFlag#CHECK} returns the state now; {@link FinishJobFlag#CANCEL}
     * aborts the job and removes everything it wrote, then returns {@link JobState#CANCELLED}.
     * For an unmanaged backup, without flags ends the export now and returns
     * {@link JobState#COMPLETED}: call it once the third party has read what it needs.
     * For a backup that is no longer running, returns its recorded state.
     */
    JobState finishJob(UUID backup, Set<FinishJobFlag> flags);

    /**
     * {@code virBackupGetParameters}: progress and statistics, keyed by the constants of
     * {@link BackupParameters}.
     */
    Map<String, Object> getParameters(UUID backup);

    /**
     * {@code virDomainSetDefaultTarget}: where the domain's backups go when the XML names no
     * target: {@code <target type='dir'><path>/srv/backups/web</path></target>}, a directory
     * inside the configured target roots, checked writable and with room for a full backup
     * ({@link ErrorCode#INVALID_TARGET}, {@link ErrorCode#NO_SPACE}); {@code null} or empty
     * goes back to the global target. Or {@code <target type='pool'><pool>NAME</pool></target>}:
     * an active libvirt storage pool whose volumes are files (dir, fs, netfs); each backup image
     * is then a volume of it, created and deleted through libvirt. Persists across restarts.
     * {@link ModifyFlag#VALIDATE_ONLY} checks without storing.
     */
    void setDefaultTarget(String domain, String targetXml, Set<ModifyFlag> flags);

    /**
     * Typed twin of {@link #setDefaultTarget(String, String, Set)}; {@link BackupTarget#global()}
     * goes back to the global target. (A literal {@code null} needs a cast here: pass
     * {@code BackupTarget.global()} instead.)
     *
     * @since 1.3
     */
    void setDefaultTarget(String domain, BackupTarget target, Set<ModifyFlag> flags);

    /** The domain's own default target as set by {@link #setDefaultTarget}; empty: the global one. */
    Optional<String> getDefaultTarget(String domain);

    /**
     * {@code virDomainUndefineFlags} with {@code VIR_DOMAIN_UNDEFINE_BACKUP}: undefines the domain
     * in libvirt. With {@link UndefineFlag#BACKUPS} its backups and checkpoints are deleted first;
     * with {@link UndefineFlag#KEEP_BACKUPS} they stay (and restore to a new domain); with neither
     * it is refused ({@link ErrorCode#INVALID_STATE}) while the domain has managed backups. A
     * running domain becomes transient, as with libvirt's own undefine.
     */
    void undefineDomain(String domain, Set<UndefineFlag> flags);

    /**
     * Reads every chunk a repository backup names and checks it (authentication tag, checksum,
     * content against its name). A damaged chunk marks every backup naming it damaged
     * ({@link Backup#damaged()}); the next backup of the domain stores that data again.
     * {@link ErrorCode#NOT_SUPPORTED} for a backup not in a repository.
     *
     * @since 1.4
     */
    VerifyResult verify(UUID backup);

    /**
     * Removes from a repository the chunks no backup names any more (after deletes, and what
     * failed or cancelled backups wrote). Never removes what a backup running now will name.
     *
     * @param repositoryUrl the repository's URL; {@code null} collects every repository in use
     * @since 1.4
     */
    List<CollectResult> collect(String repositoryUrl);

    /**
     * Lists again what a repository holds, now: the backups other hosts sharing it completed or
     * deleted appear or go (the service also does this periodically, every
     * {@code repository.refresh.seconds}).
     *
     * @param repositoryUrl the repository's URL; {@code null} refreshes every repository in use
     * @since 1.5
     */
    List<RefreshResult> refresh(String repositoryUrl);

    /**
     * Copies a completed repository backup into another repository (local or on object storage:
     * the offsite copy), sending only the chunks that repository lacks; there it is the same
     * backup, under the same UUID, restorable without the first. Both repositories open with
     * the configured key; their chunk sizes must be equal.
     *
     * @param backup a completed backup in a repository
     * @param repositoryUrl where to copy it (made if its directory or prefix is empty)
     * @since 1.5
     */
    CopyResult copy(UUID backup, String repositoryUrl);

    /** The domains libvirt knows, running or not, by name: what a backup can be made of. */
    List<DomainRef> domains();
}
