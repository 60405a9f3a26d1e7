package org.virtbackup.impl.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CollectResult;
import org.virtbackup.api.CopyResult;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.api.ModifyFlag;
import org.virtbackup.api.RefreshResult;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreRequest;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.api.UndefineFlag;
import org.virtbackup.api.VerifyResult;
import org.virtbackup.api.XmlFlag;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.api.files.GuestFile;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.repository.Repositories;
import org.virtbackup.impl.xml.RequestXml;
import org.virtbackup.impl.xml.TargetXml;
import org.virtbackup.spi.BackupProvider;
import org.virtbackup.spi.StorageTarget;

/**
 * The {@link BackupService} facade: turns XML into typed requests, checks what only the facade
 * can, and delegates: starting to the {@code BackupStarter}, tree edits to the
 * {@code ChainEditor}, jobs to the {@code JobTracker}, queries to the {@code Catalogue},
 * targets to the {@code StorageRouter}, restores to the {@code Restorer}; and, as {@link BackupFiles}
 * (one component: the same catalogue and locks), single files to the {@code FileRestore}. Providers come and go
 * (hot swap): a missing one makes the operations that need it fail with
 * {@link ErrorCode#NO_PROVIDER}; jobs it left running are resumed when one comes back.
 *
 * <p>Immediate: recovery and resumption run when the bundle starts, not on whichever thread first
 * asks for the service. Under Karaf's service guard that is the one thread that makes every
 * guarded service's proxy, and every other proxy (and every shell command) waited out our recovery.
 */
@Component(service = {BackupService.class, BackupFiles.class}, configurationPid = VirtBackupConfig.PID, immediate = true)
@Designate(ocd = VirtBackupConfig.class)
public final class BackupServiceImpl implements BackupService, BackupFiles {

    private static final Logger LOG = LoggerFactory.getLogger(BackupServiceImpl.class);

    private final ServiceWiring parts;
    private volatile boolean active;

    @Activate
    public BackupServiceImpl(@Reference Libvirt libvirt,
            @Reference(target = "(" + StorageTarget.KIND + "=directory)") StorageTarget target,
            @Reference DomainLocks locks, @Reference Repositories repositories, VirtBackupConfig config) {
        this(new ServiceWiring(libvirt, target, config, locks, repositories));
    }

    BackupServiceImpl(ServiceWiring parts) {
        this.parts = parts;
        parts.recover();
        active = true;
        parts.start();
        LOG.info("virt-backup catalogue loaded: {} backups", parts.catalogue.all().size());
    }

    @Deactivate
    public void deactivate() {
        active = false;
        parts.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindProvider(BackupProvider provider, Map<String, Object> props) {
        Providers.modeOf(props).ifPresentOrElse(mode -> {
            parts.providers.bind(mode, provider);
            if (active) {
                parts.resumer.resume(mode);
            }
        }, () -> LOG.warn("Ignoring a BackupProvider whose {} is '{}', neither managed nor unmanaged",
                BackupProvider.MODE, props.get(BackupProvider.MODE)));
    }

    void unbindProvider(BackupProvider provider, Map<String, Object> props) {
        Providers.modeOf(props).ifPresent(mode -> parts.providers.unbind(mode, provider));
    }

    /** StorageTarget services of any kind, ours included: their backups join the catalogue. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindTarget(StorageTarget target, Map<String, Object> props) {
        List<Path> found = parts.storage.addKind(String.valueOf(props.get(StorageTarget.KIND)), target);
        if (active && !found.isEmpty()) {
            parts.catalogue.load(found);
            LOG.info("{} backups found in the StorageTarget of kind {}", found.size(), props.get(StorageTarget.KIND));
            parts.recoverBrought(found);
            for (BackupMode mode : BackupMode.values()) {
                parts.resumer.resume(mode); // their jobs left running, if any
            }
        }
    }

    void unbindTarget(StorageTarget target, Map<String, Object> props) {
        parts.storage.removeKind(String.valueOf(props.get(StorageTarget.KIND)), target);
    }

    /** Optional: without Event Admin no events are posted. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindEventAdmin(EventAdmin admin) {
        parts.events.use(admin);
    }

    void unbindEventAdmin(EventAdmin admin) {
        parts.events.drop(admin);
    }

    @Override
    public Backup create(String domain, String backupXml, Set<CreateFlag> flags) {
        RequestXml.Start start = parts.requests.backup(backupXml, Checkpoints::backupNamed);
        return create(domain, start.request(), start.flags(flags));
    }

    @Override
    public Backup create(String domain, BackupRequest request, Set<CreateFlag> flags) {
        if (request.server() != null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "<server> is for unmanaged backups (startUnmanaged); "
                    + "a managed backup keeps its data in its target");
        }
        return start(BackupMode.MANAGED, domain, request, flags);
    }

    @Override
    public Backup startUnmanaged(String domain, String backupXml, Set<CreateFlag> flags) {
        RequestXml.Start start = parts.requests.export(backupXml, Checkpoints::backupNamed);
        return startUnmanaged(domain, start.request(), start.flags(flags));
    }

    @Override
    public Backup startUnmanaged(String domain, BackupRequest request, Set<CreateFlag> flags) {
        if (!request.targets().isEmpty()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "an unmanaged backup stores nothing, so its disks "
                    + "take no target; a third party reads the NBD export");
        }
        return start(BackupMode.UNMANAGED, domain, request, flags);
    }

    private Backup start(BackupMode mode, String domain, BackupRequest request, Set<CreateFlag> flags) {
        return parts.starter.start(mode, parts.providers.require(mode), domain, request, flags);
    }

    @Override
    public JobState finishJob(UUID uuid, Set<FinishJobFlag> flags) {
        return parts.jobs.finish(uuid, flags);
    }

    @Override
    public Map<String, Object> getParameters(UUID uuid) {
        return parts.parameters.of(uuid);
    }

    @Override
    public List<Backup> list(String domain, Set<ListFlag> flags) {
        return parts.catalogue.list(domain, flags);
    }

    @Override
    public List<Backup> listChildren(UUID uuid, Set<ListFlag> flags) {
        return parts.catalogue.children(uuid, flags);
    }

    @Override
    public List<GuestFile> listFiles(UUID backup, String disk, String path) {
        return parts.files.listFiles(backup, disk, path);
    }

    @Override
    public ExtractResult extract(UUID backup, String disk, String path, Path directory) {
        return parts.files.extract(backup, disk, path, directory);
    }

    @Override
    public Optional<Backup> lookup(UUID uuid) {
        return parts.catalogue.get(uuid).map(CatalogueEntry::backup);
    }

    @Override
    public DomainRef getDomain(UUID uuid) {
        return parts.catalogue.require(uuid).backup().domain();
    }

    @Override
    public String getXmlDesc(UUID uuid, Set<XmlFlag> flags) {
        CatalogueEntry e = parts.catalogue.require(uuid);
        boolean noDomain = flags != null && flags.contains(XmlFlag.NO_DOMAIN);
        return parts.xml.write(e.backup(), noDomain ? null : e.domainXml());
    }

    @Override
    public void delete(UUID uuid, Set<DeleteFlag> flags) {
        Optional<String> repository = parts.catalogue.get(uuid).map(CatalogueEntry::backup).filter(Backup::inRepository)
                .map(b -> b.disks().get(0).target());
        parts.chains.delete(uuid, flags);
        repository.ifPresent(parts.maintenance::deleted);
    }

    @Override
    public RestoreResult restore(String restoreXml, Set<RestoreFlag> flags) {
        return restore(parts.requests.restore(restoreXml), flags);
    }

    @Override
    public RestoreResult restore(RestoreRequest request, Set<RestoreFlag> flags) {
        if (request == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no restore request given");
        }
        Backup backup = parts.catalogue.require(request.backup()).backup();
        RestoreResult result = parts.restorer.restore(request, flags == null ? Set.of() : flags);
        parts.events.restored(backup, result.domain() == null ? null : result.domain().name());
        return result;
    }

    @Override
    public void setDefaultTarget(String domain, String targetXml, Set<ModifyFlag> flags) {
        setDefaultTarget(domain, parts.requests.target(targetXml), flags);
    }

    @Override
    public void setDefaultTarget(String domain, BackupTarget target, Set<ModifyFlag> flags) {
        if (target == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "no target given; BackupTarget.global() clears "
                    + "the domain's own target");
        }
        boolean validateOnly = flags != null && flags.contains(ModifyFlag.VALIDATE_ONLY);
        parts.storage.assign(parts.libvirt.domain(domain), target, validateOnly);
    }

    @Override
    public Optional<String> getDefaultTarget(String domain) {
        DomainRef ref = parts.libvirt.domain(domain).ref();
        return parts.storage.get(ref.uuid()).map(TargetXml::write);
    }

    @Override
    public VerifyResult verify(UUID backup) {
        return parts.maintenance.verify(backup);
    }

    @Override
    public List<CollectResult> collect(String repositoryUrl) {
        return parts.maintenance.collect(repositoryUrl);
    }

    @Override
    public List<RefreshResult> refresh(String repositoryUrl) {
        return parts.maintenance.refresh(repositoryUrl);
    }

    @Override
    public CopyResult copy(UUID backup, String repositoryUrl) {
        return parts.repositoryCopies.copy(backup, repositoryUrl);
    }

    @Override
    public void undefineDomain(String domain, Set<UndefineFlag> flags) {
        parts.undefiner.undefine(domain, flags);
    }

    @Override
    public List<DomainRef> domains() {
        return parts.libvirt.domains();
    }
}
