package org.virtbackup.impl.repository;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.storage.NoSpace;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.FileObjectStore;
import org.virtbackup.repository.ObjectStore;
import org.virtbackup.repository.ObjectStoreProvider;
import org.virtbackup.repository.Repository;
import org.virtbackup.repository.RepositoryException;
import org.virtbackup.repository.RepositoryKey;
import org.virtbackup.repository.Sharing;

/**
 * The repositories this process uses, one {@link Repository} per URL (it keeps the pins of the
 * backups being written, which collections respect), opened with the configured key where
 * {@link RepositoryLocator} says the URL leads; and the writers of backups whose jobs ended but whose manifests the catalogue has yet to write. A
 * service of its own, shared by the service and the managed provider. Immediate: activated
 * lazily inside the service's activation, it would be asked for again by the provider that
 * activation binds, and SCR refuses such a re-entrant activation (the provider would be lost).
 */
@Component(service = Repositories.class, configurationPid = VirtBackupConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL, immediate = true)
public final class Repositories {

    private static final Logger LOG = LoggerFactory.getLogger(Repositories.class);

    private final RepositoryLocator locator;
    private final String defaultUrl;
    private final String keyFile;
    private final int chunkSize;
    private final int streams;
    private final boolean collectAfterDelete;
    private final Sharing sharing;
    /**
     * The object stores' endpoints (the S3 bundle's, one per configuration): dynamic, so that an
     * endpoint configured or removed does not restart this component, which holds the pins of
     * running backups and the writers awaiting their manifests.
     */
    @Reference(service = ObjectStoreProvider.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<ObjectStoreProvider> providers = List.of();
    /**
     * By the repository directory's real path, or the normalised URL of object storage: two URLs
     * reaching one directory share its pins.
     */
    private final Map<String, Repository> open = new ConcurrentHashMap<>();
    private final Map<String, String> urls = new ConcurrentHashMap<>();
    /** The provider each object-storage repository was opened through: gone, the repository is reopened. */
    private final Map<String, ObjectStoreProvider> openedThrough = new ConcurrentHashMap<>();
    private final Map<UUID, BackupWriter> uncommitted = new ConcurrentHashMap<>();

    @Activate
    public Repositories(VirtBackupConfig config) {
        this(Paths.list(config.target_roots()), Paths.resolve(config.target_directory()), config.repository_url(),
                config.repository_key_file(), config.repository_chunk_size(), config.repository_streams(),
                config.repository_collect_after_delete(), new Sharing(Duration.ofSeconds(Math.max(4,
                        config.repository_lease_seconds())), Duration.ofSeconds(Math.max(0, config.repository_wait_seconds()))));
    }

    /** Outside Declarative Services (benchmarks): with these object stores' endpoints. */
    public Repositories(VirtBackupConfig config, List<ObjectStoreProvider> providers) {
        this(config);
        this.providers = List.copyOf(providers);
    }

    /** Outside Declarative Services (tests, benchmarks): local repositories only. */
    public Repositories(List<Path> roots, Path defaultTarget, String defaultUrl, String keyFile, int chunkSize, int streams,
            boolean collectAfterDelete) {
        this(roots, defaultTarget, defaultUrl, keyFile, chunkSize, streams, collectAfterDelete, Sharing.DEFAULT);
    }

    private Repositories(List<Path> roots, Path defaultTarget, String defaultUrl, String keyFile, int chunkSize, int streams,
            boolean collectAfterDelete, Sharing sharing) {
        this.sharing = sharing;
        this.locator = new RepositoryLocator(roots, defaultTarget, () -> providers);
        this.defaultUrl = defaultUrl == null || defaultUrl.isBlank() ? "" : RepositoryUrl.parse(defaultUrl).url();
        this.keyFile = keyFile == null ? "" : keyFile.strip();
        this.chunkSize = chunkSize;
        this.streams = Math.max(1, streams);
        this.collectAfterDelete = collectAfterDelete;
    }

    /** The repository every domain without a target of its own backs up into; empty: none. */
    public Optional<String> defaultUrl() {
        return defaultUrl.isEmpty() ? Optional.empty() : Optional.of(defaultUrl);
    }

    /** Chunks handled at once by a backup, restore or verification. */
    public int streams() {
        return streams;
    }

    public boolean collectAfterDelete() {
        return collectAfterDelete;
    }

    /**
     * Checks a repository URL: a directory inside the target roots on its real path, not in the
     * default target directory, or a bucket an S3 endpoint serves; and a repository this version
     * can open with the configured key (made when the directory or prefix is empty, unless
     * {@code validateOnly}); returns the normalised URL.
     */
    public String check(String text, boolean validateOnly) {
        RepositoryUrl url = RepositoryUrl.parse(text);
        if (validateOnly && !exists(url)) {
            key(); // the key must be usable for the repository it would make
            if (url.local()) {
                RepositoryLocator.requireEmpty(url, locator.directory(url));
            } else {
                RepositoryLocator.requireEmpty(url, RepositoryLocator.store(url, locator.provider(url)));
            }
            return url.url();
        }
        open(url.url(), true);
        return url.url();
    }

    /** The repository at the URL; {@code NOT_A_REPOSITORY} (as {@code INVALID_TARGET}) when its directory holds none. */
    public Repository open(String text) {
        return open(text, false);
    }

    /**
     * The repository at the URL, made first when {@code create} and its directory (or prefix) is
     * missing or empty: only where a backup is about to go (a target set, a backup started), never
     * when listing, restoring or collecting, so a repository whose mount is missing is not
     * replaced by an empty one.
     */
    private Repository open(String text, boolean create) {
        RepositoryUrl url = RepositoryUrl.parse(text);
        String id = url.local() ? locator.directory(url).toString() : url.url();
        Repository known = open.get(id);
        if (known != null && (url.local() || providers.contains(openedThrough.get(id)))) {
            return known;
        }
        synchronized (open) {
            known = open.get(id);
            if (known != null && (url.local() || providers.contains(openedThrough.get(id)))) {
                return known;
            }
            ObjectStore store;
            boolean make;
            if (url.local()) {
                Path dir = locator.directory(url);
                make = create && !Files.exists(dir.resolve("config"));
                if (make) {
                    RepositoryLocator.requireEmpty(url, Paths.privateDirectory(dir));
                }
                RepositoryLocator.requirePrivate(url, dir);
                store = new FileObjectStore(dir);
            } else {
                ObjectStoreProvider provider = locator.provider(url);
                store = RepositoryLocator.store(url, provider);
                make = create && !RepositoryLocator.holdsRepository(url, store);
                if (make) {
                    RepositoryLocator.requireEmpty(url, store);
                }
                openedThrough.put(id, provider);
            }
            Repository r = call(url.url(), () -> make ? Repository.create(store, chunkSize, key().orElse(null), sharing)
                    : Repository.open(store, key().orElse(null), sharing));
            open.put(id, r);
            urls.put(id, url.url());
            LOG.info("Repository {} {}: chunks of {} bytes, {}", url.url(), make ? "made" : "opened", r.config().chunkSize(),
                    r.config().encrypted() ? "encrypted (key fingerprint " + r.config().fingerprint() + ")" : "not encrypted");
            return r;
        }
    }

    /** Whether the URL names a repository now (its directory or prefix holds its {@code config}). */
    public boolean exists(String text) {
        return exists(RepositoryUrl.parse(text));
    }

    private boolean exists(RepositoryUrl url) {
        if (url.local()) {
            Path dir = locator.directory(url);
            return open.containsKey(dir.toString()) || Files.exists(dir.resolve("config"));
        }
        return open.containsKey(url.url())
                || RepositoryLocator.holdsRepository(url, RepositoryLocator.store(url, locator.provider(url)));
    }

    /** The repositories opened so far, by URL (one per directory). */
    public List<String> opened() {
        return new ArrayList<>(urls.values());
    }

    /** Starts writing a backup into a repository (made if its directory is missing or empty). */
    public BackupWriter writer(String url, UUID backup) {
        return call(url, () -> open(url, true).writer(backup));
    }

    /** Keeps a writer whose job ended until the catalogue writes its manifest (its chunks stay pinned). */
    public void awaitCommit(BackupWriter writer) {
        uncommitted.put(writer.backup(), writer);
    }

    /** The writer kept for a backup's manifest, if its job ran in this process. */
    public Optional<BackupWriter> uncommitted(UUID backup) {
        return Optional.ofNullable(uncommitted.remove(backup));
    }

    /** Runs a repository call, its failures as {@link BackupException}s naming the repository. */
    public static <T> T call(String url, Supplier<T> action) {
        try {
            return action.get();
        } catch (RepositoryException e) {
            throw translate(url, e);
        } catch (UncheckedIOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "repository " + url + ": " + e.getMessage(), e);
        }
    }

    static BackupException translate(String url, RepositoryException e) {
        ErrorCode code = switch (e.problem()) {
            case NOT_A_REPOSITORY, KEY_MISSING, KEY_MISMATCH -> ErrorCode.INVALID_TARGET;
            case NOT_FOUND -> ErrorCode.NO_BACKUP;
            case BUSY -> ErrorCode.INVALID_STATE;
            case DAMAGED, IO -> NoSpace.in(e.getMessage()) ? ErrorCode.NO_SPACE
                    : ErrorCode.IO_ERROR;
        };
        return new BackupException(code, "repository " + url + ": " + e.getMessage(), e);
    }

    private Optional<RepositoryKey> key() {
        if (keyFile.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(RepositoryKey.read(Paths.resolve(keyFile)));
        } catch (RepositoryException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "the repository key (repository.key.file): "
                    + e.getMessage(), e);
        }
    }
}
