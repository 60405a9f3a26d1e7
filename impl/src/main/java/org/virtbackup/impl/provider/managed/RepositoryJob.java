package org.virtbackup.impl.provider.managed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.firmware.FirmwareCopies;
import org.virtbackup.impl.jobs.Messages;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.nbd.Libnbd;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.impl.qemu.QemuNbd;
import org.virtbackup.impl.repository.DiskChunker;
import org.virtbackup.impl.repository.FirmwareChunks;
import org.virtbackup.impl.repository.Repositories;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.Repository;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobSpec;

/**
 * A backup into a repository: each disk is read over NBD by {@link DiskChunker}, from the
 * pull-mode export of a running domain or from a read-only qemu-nbd export of a shut-off
 * domain's image, then its index is written. Its writer stays open when it completes: the
 * catalogue writes the manifest with it, and until then no collection takes its chunks.
 */
final class RepositoryJob extends JournaledJob {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryJob.class);

    private final JobSpec spec;
    private final PullExport export;
    private final Path exportSocket;
    private final BackupWriter writer;
    private final Repositories repositories;
    private final DiskChunker chunker;
    private final QemuNbd qemuNbd;
    private final Path runtimeDirectory;
    private final BooleanSupplier stopping;
    private final Map<String, DomainDisk> sources;
    private final Executor executor;
    private final AtomicLong done = new AtomicLong();
    private volatile boolean cancelled;
    /** The libvirt job's end, once started after the last disk is read. */
    private CompletableFuture<Optional<String>> exportEnding;

    /** @param export the running pull job and its socket, {@code null} for a shut-off domain */
    RepositoryJob(JobSpec spec, JobJournal journal, PullExport export, Path exportSocket, BackupWriter writer,
            Repositories repositories, DiskChunker chunker, QemuNbd qemuNbd, Path runtimeDirectory, BooleanSupplier stopping,
            Executor executor) {
        super(journal);
        this.executor = executor;
        this.spec = spec;
        this.export = export;
        this.exportSocket = exportSocket;
        this.writer = writer;
        this.repositories = repositories;
        this.chunker = chunker;
        this.qemuNbd = qemuNbd;
        this.runtimeDirectory = runtimeDirectory;
        this.stopping = stopping;
        this.sources = DomainXml.disksByName(spec.domainXml());
    }

    @Override
    public JobProgress progress() {
        long total = spec.backup().disks().stream().mapToLong(BackupDisk::capacity).sum();
        return new JobProgress(total, Math.min(total, done.get()));
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    void abandon(String reason) {
        end(cancelled ? JobState.CANCELLED : JobState.FAILED, reason);
    }

    @Override
    void run() {
        String url = spec.backup().disks().get(0).target();
        try {
            Repository repo = repositories.open(url);
            int chunkSize = repo.config().chunkSize();
            List<BackupDisk> disks = new ArrayList<>();
            List<BackupDisk> wanted = spec.backup().disks();
            for (int i = 0; i < wanted.size(); i++) {
                BackupDisk d = wanted.get(i);
                DiskChunker.Result r = Repositories.call(url, () -> copy(d, parentIndex(repo, d.name()).orElse(null),
                        chunkSize)); // the parent's index is garbage before the index is sealed: one less copy held
                if (i == wanted.size() - 1) {
                    endExport(); // all is read: libvirt's job ends (40-50 ms) while the rest is written
                }
                Repositories.call(url, () -> writer.writeIndex(d.name(), r.ids()));
                disks.add(d.withStored(r.stored(), r.deduplicated()));
            }
            // The firmware state copied at the start goes in beside the disks; its local copy goes with the directory.
            Repositories.call(url, () -> {
                FirmwareChunks.store(writer, chunkSize, spec.backup().firmware(),
                        f -> FirmwareCopies.read(spec.directory(), f));
                return null;
            });
            repositories.awaitCommit(writer);
            finish(JobState.COMPLETED, exportEnded(), disks);
        } catch (RuntimeException e) {
            if (stopping.getAsBoolean() && !cancelled) {
                writer.close();
                return; // the provider is being replaced; the next one fails the job at resume
            }
            // a DiskChunker.CancellationException ("cancelled") comes only once cancelled is set
            end(cancelled ? JobState.CANCELLED : JobState.FAILED, String.valueOf(e.getMessage()));
        }
    }

    /** Whether the disk's streams stop at their next chunk: cancelled, or the provider stopping (it waits for them). */
    private boolean stopReading() {
        return cancelled || stopping.getAsBoolean();
    }

    /** Starts ending the libvirt job, if one runs, on another thread. */
    private void endExport() {
        if (export != null) {
            exportEnding = CompletableFuture.supplyAsync(export::end, executor);
        }
    }

    /**
     * Waits until the libvirt job has ended, or ends it now if that did not start; a job ends
     * before its backup does. Returns what the user must do about a job that did not end, or "".
     */
    private String exportEnded() {
        if (export == null) {
            return "";
        }
        if (exportEnding == null) {
            return export.end().orElse("");
        }
        try {
            return exportEnding.join().orElse("");
        } catch (CompletionException e) {
            LOG.warn("Ending the libvirt job of backup {} failed; trying again: {}", spec.backup().uuid(),
                    String.valueOf(e.getCause()));
            return export.end().orElse(""); // again, here: what it throws now fails the backup as before
        }
    }

    private DiskChunker.Result copy(BackupDisk disk, ChunkIndex parent, int chunkSize) {
        Backup p = spec.parent();
        if (export != null) {
            String context = parent == null ? Libnbd.ALLOCATION : "qemu:dirty-bitmap:" + PullExport.bitmap(disk.name());
            return chunker.copy(exportSocket, disk.name(), context, parent, chunkSize, writer, done::addAndGet,
                    this::stopReading);
        }
        DomainDisk source = sources.get(disk.name());
        Path socket = runtimeDirectory.resolve(spec.backup().uuid() + "-" + disk.name() + ".sock");
        String bitmap = parent == null ? null : p.checkpoint();
        try (QemuNbd.Server server = qemuNbd.serve(Path.of(source.source()), source.format(), socket, false, bitmap,
                repositories.streams() + 1)) {
            String context = parent == null ? Libnbd.ALLOCATION : "qemu:dirty-bitmap:" + bitmap;
            return chunker.copy(server.socket(), QemuNbd.EXPORT, context, parent, chunkSize, writer, done::addAndGet,
                    this::stopReading);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export " + source.source() + ": " + e.getMessage(), e);
        }
    }

    /** The parent's index of the disk, when the parent holds the disk: an incremental reads only what changed since. */
    private Optional<ChunkIndex> parentIndex(Repository repo, String disk) {
        Backup p = spec.parent();
        if (p == null || p.disks().stream().noneMatch(d -> d.name().equals(disk))) {
            return Optional.empty();
        }
        String url = p.disks().get(0).target();
        Manifest m = Repositories.call(url, () -> repo.manifest(p.uuid())).orElseThrow(() -> new IllegalStateException(
                "parent " + p.uuid() + " is no longer in " + url));
        return Optional.of(Repositories.call(url, () -> repo.index(m, m.disk(disk))));
    }

    private void end(JobState state, String message) {
        writer.close(); // its chunks are collected: nothing of the backup stays
        String left = exportEnded();
        finish(state, Messages.joined(message, left), spec.backup().disks());
    }
}
