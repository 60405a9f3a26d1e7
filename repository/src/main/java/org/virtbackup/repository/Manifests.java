package org.virtbackup.repository;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The manifests of a repository, which are its catalogue: listed by name, read one by one, or
 * many at once from the newest {@link ManifestBundles bundle}.
 */
final class Manifests {

    private static final int READERS = 16;
    private static final String PREFIX = "manifests/";

    private final SealedObjects objects;
    private final ManifestBundles bundles;
    private final String store;

    Manifests(SealedObjects objects, String store) {
        this.objects = objects;
        this.bundles = new ManifestBundles(objects);
        this.store = store;
    }

    /** The backups that have a manifest now, by listing their names only (another host may have added some). */
    Set<UUID> ids() {
        Set<UUID> ids = new HashSet<>();
        listed().keySet().forEach(ids::add);
        return ids;
    }

    /** The manifest of a backup, checked to be that backup's; empty when there is none. */
    Optional<Manifest> read(UUID backup) {
        String name = Manifest.objectName(backup);
        Optional<byte[]> data = objects.find(Envelope.TYPE_MANIFEST, name, SealedObjects.MAX_METADATA);
        if (data.isEmpty()) {
            return Optional.empty();
        }
        Manifest m = Manifest.parse(data.get(), name);
        if (!m.backup().equals(backup)) {
            throw Envelope.damaged(name, "it is the manifest of another backup, " + m.backup());
        }
        return Optional.of(m);
    }

    /**
     * Every manifest, read and checked; the ones that cannot be read are listed apart with the
     * reason. The newest bundle gives the manifests it holds in one read; the others are read
     * {@value #READERS} at once (on object storage each is a request), and when many were, a new
     * bundle is written for the next listing.
     */
    Repository.Listing all() {
        // The bundle is read while the names are listed: on object storage both take a while.
        CompletableFuture<ManifestBundles.Bundle> reading = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                reading.complete(bundles.newest());
            } catch (RuntimeException e) {
                reading.completeExceptionally(e);
            }
        }, "virt-backup-manifest-bundle");
        reader.setDaemon(true);
        reader.start();
        Map<UUID, String> listed = listed();
        ManifestBundles.Bundle bundle;
        try {
            bundle = reading.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        List<Manifest> found = Collections.synchronizedList(new ArrayList<>());
        Map<UUID, String> missing = new LinkedHashMap<>();
        listed.forEach((backup, name) -> {
            Manifest m = bundle.manifests().get(backup);
            if (m != null) {
                found.add(m);
            } else {
                missing.put(backup, name);
            }
        });
        Map<String, String> unreadable = new ConcurrentHashMap<>();
        readAll(missing, found, unreadable);
        int gone = bundle.manifests().size() - (listed.size() - missing.size());
        if (missing.size() >= ManifestBundles.REWRITE_AFTER || gone >= ManifestBundles.REWRITE_AFTER) {
            try {
                bundles.write(new ArrayList<>(found));
            } catch (RepositoryException e) {
                // a read-only store, say: the next listing reads one by one again
            }
        }
        return new Repository.Listing(new ArrayList<>(found), unreadable);
    }

    /** The manifests' object names by backup; a name that is not a backup's UUID is nothing of ours (collection ignores it too). */
    private Map<UUID, String> listed() {
        Map<UUID, String> listed = new LinkedHashMap<>();
        for (String name : objects.list(PREFIX)) {
            Repository.uuid(name.substring(PREFIX.length())).ifPresent(u -> listed.put(u, name));
        }
        return listed;
    }

    /** Reads these manifests, {@value #READERS} at once. */
    private void readAll(Map<UUID, String> names, List<Manifest> found, Map<String, String> unreadable) {
        if (names.isEmpty()) {
            return;
        }
        ExecutorService readers = Executors.newFixedThreadPool(READERS, r -> {
            Thread t = new Thread(r, "virt-backup-manifests");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> reads = new ArrayList<>();
            names.forEach((backup, name) -> reads.add(readers.submit(() -> {
                try {
                    read(backup).ifPresent(found::add);
                } catch (RuntimeException e) {
                    unreadable.put(name, String.valueOf(e.getMessage()));
                }
            })));
            for (Future<?> read : reads) {
                read.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException(RepositoryException.Problem.IO, "interrupted listing " + store);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            readers.shutdownNow();
        }
    }
}
