package org.virtbackup.impl.repository;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.CopyResult;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkBuffer;
import org.virtbackup.repository.ChunkId;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.Repository;

/**
 * Copies a repository backup into another repository, as Proxmox's sync jobs do: chunk by chunk,
 * sending only what the destination lacks, then its indexes and its manifest, written last (a
 * copy cut short leaves chunks a collection takes, never a half backup). When both repositories
 * name chunks alike (the same key, or neither encrypted), a chunk the destination holds is not
 * even read; otherwise each is read, opened and sealed again under the destination's key.
 */
public final class RepositoryCopy {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryCopy.class);

    private final Catalogue catalogue;
    private final Repositories repositories;
    private final DomainLocks locks;

    public RepositoryCopy(Catalogue catalogue, Repositories repositories, DomainLocks locks) {
        this.catalogue = catalogue;
        this.repositories = repositories;
        this.locks = locks;
    }

    public CopyResult copy(UUID uuid, String toUrl) {
        Backup seen = catalogue.require(uuid).backup();
        try (DomainLocks.Held held = locks.hold(seen.domain(), DomainLocks.Access.READ, "the copy of backup " + uuid)) {
            CatalogueEntry entry = catalogue.require(uuid);
            if (!Catalogue.inRepository(entry)) {
                throw new BackupException(ErrorCode.NOT_SUPPORTED, "backup " + uuid + " is not a completed repository "
                        + "backup: only those are copied (an image backup is a file to copy as it is)");
            }
            String from = entry.backup().disks().get(0).target();
            String to = repositories.check(toUrl, false);
            if (to.equals(from)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "backup " + uuid + " is in " + to + " already");
            }
            Repository source = repositories.open(from);
            Repository target = repositories.open(to);
            if (source.config().chunkSize() != target.config().chunkSize()) {
                throw new BackupException(ErrorCode.NOT_SUPPORTED, "the chunk sizes differ (" + from + ": "
                        + source.config().chunkSize() + ", " + to + ": " + target.config().chunkSize()
                        + " bytes): a copy would cut every disk again; copy into a repository of the same chunk size");
            }
            if (Repositories.call(to, () -> target.manifest(uuid)).isPresent()) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "backup " + uuid + " is in " + to + " already");
            }
            Manifest m = Repositories.call(from, () -> source.manifest(uuid)).orElseThrow(() -> new BackupException(
                    ErrorCode.NO_BACKUP, "backup " + uuid + " has no manifest in " + from + " any more"));
            boolean sameNames = source.config().fingerprint().equals(target.config().fingerprint());
            return Repositories.call(to, () -> copy(m, source, target, from, to, sameNames));
        }
    }

    private CopyResult copy(Manifest m, Repository source, Repository target, String from, String to, boolean sameNames) {
        ExecutorService workers = Executors.newFixedThreadPool(repositories.streams(), r -> {
            Thread t = new Thread(r, "virt-backup-copy-" + m.backup());
            t.setDaemon(true);
            return t;
        });
        AtomicLong chunks = new AtomicLong();
        AtomicLong found = new AtomicLong();
        AtomicBoolean failed = new AtomicBoolean();
        try (BackupWriter w = target.writer(m.backup())) {
            List<Manifest.Disk> disks = new ArrayList<>();
            for (Manifest.Disk d : m.disks()) {
                ChunkIndex ids = Repositories.call(from, () -> source.index(m, d));
                ChunkIndex copied = ChunkIndex.of(ids.size());
                AtomicInteger next = new AtomicInteger();
                List<Future<?>> running = new ArrayList<>();
                for (int s = 0; s < repositories.streams(); s++) {
                    running.add(workers.submit(() -> {
                        ChunkBuffer buffer = source.chunkBuffer();
                        try {
                        for (int i = next.getAndIncrement(); i < ids.size() && !failed.get(); i = next.getAndIncrement()) {
                            ChunkId id = ids.get(i);
                            if (id.isZero()) {
                                copied.set(i, ChunkId.ZERO);
                                continue;
                            }
                            chunks.incrementAndGet();
                            if (sameNames && w.reuse(id)) {
                                copied.set(i, id);
                                found.addAndGet(Math.min(d.chunkSize(), d.capacity() - (long) i * d.chunkSize()));
                                continue;
                            }
                            int n = source.readChunk(id, buffer);
                            BackupWriter.Stored stored = w.store(buffer.data(), n);
                            copied.set(i, stored.id());
                            if (stored.newBytes() == 0) {
                                found.addAndGet(n);
                            }
                        }
                        } catch (RuntimeException e) {
                            failed.set(true); // the other streams stop too: the writer is closed after them
                            throw e;
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    await(f, running);
                }
                disks.add(new Manifest.Disk(d.name(), d.capacity(), d.chunkSize(), d.chunks(), w.writeIndex(d.name(), copied)));
            }
            w.commit(new Manifest(m.backup(), m.domain(), m.created(), disks, m.descriptor()));
            LOG.info("Backup {} copied from {} to {}: {} chunks, {} bytes stored, {} found there", m.backup(), from, to,
                    chunks.get(), w.storedBytes(), found.get());
            return new CopyResult(m.backup(), to, chunks.get(), w.storedBytes(), found.get());
        } finally {
            workers.shutdownNow();
        }
    }

    /** Waits for a stream; when it failed, for every other one too, so that none uses the writer once it is closed. */
    private static void await(Future<?> f, List<Future<?>> all) {
        try {
            f.get();
        } catch (ExecutionException e) {
            for (Future<?> other : all) {
                try {
                    other.get();
                } catch (ExecutionException | CancellationException ignored) {
                    // the first failure is the one reported
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted copying", e);
        }
    }
}
