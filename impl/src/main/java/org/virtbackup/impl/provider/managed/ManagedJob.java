package org.virtbackup.impl.provider.managed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.Messages;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobSpec;

/**
 * One managed full backup: each disk is copied by {@code qemu-img convert} into a qcow2 image,
 * from the pull-mode NBD export of a running domain or from the image files of a shut-off one.
 * Disks are copied one after the other, each with parallel requests, which keeps the target's
 * writes sequential enough to run at the speed of the host's own copy.
 */
final class ManagedJob extends JournaledJob {

    private final JobSpec spec;
    private final QemuImg qemuImg;
    private final PullExport export;
    private final Map<String, DomainDisk> sources;
    private final BooleanSupplier stopping;

    private volatile boolean cancelled;
    private volatile ProcessHandle copy;
    private volatile BackupDisk current;
    private volatile long bytesDone;

    /**
     * @param export the running pull job, {@code null} for a shut-off domain
     */
    ManagedJob(JobSpec spec, QemuImg qemuImg, JobJournal journal, PullExport export, BooleanSupplier stopping) {
        super(journal);
        this.spec = spec;
        this.qemuImg = qemuImg;
        this.export = export;
        this.stopping = stopping;
        this.sources = DomainXml.disksByName(spec.domainXml());
    }

    @Override
    public JobProgress progress() {
        long total = spec.backup().disks().stream().mapToLong(BackupDisk::capacity).sum();
        BackupDisk now = current;
        long inFlight = now == null ? 0 : (long) (now.capacity() * QemuImg.progress(log(now)));
        return new JobProgress(total, Math.min(total, bytesDone + inFlight));
    }

    @Override
    public void cancel() {
        cancelled = true;
        ProcessHandle p = copy;
        if (p != null) {
            p.destroy();
        }
    }

    @Override
    void abandon(String reason) {
        fail(cancelled ? JobState.CANCELLED : JobState.FAILED, reason);
    }

    /** Copies every disk not yet done; on a resumed job, first adopts the copy left in flight. */
    @Override
    void run() {
        try {
            List<BackupDisk> disks = new ArrayList<>();
            for (BackupDisk disk : spec.backup().disks()) {
                checkCancelled();
                current = disk;
                if (!journal.done(disk.name())) {
                    copyDisk(disk);
                }
                bytesDone += disk.capacity();
                current = null;
                disks.add(disk.withStored(Files.size(Path.of(disk.target()))));
            }
            finish(JobState.COMPLETED, endExport(), disks);
        } catch (InterruptedException e) {
            if (stopping.getAsBoolean()) {
                return; // the provider is being replaced: the copy goes on, the next one adopts it
            }
            fail(JobState.FAILED, "interrupted");
        } catch (Cancelled e) {
            fail(JobState.CANCELLED, "cancelled");
        } catch (IOException | RuntimeException e) {
            if (stopping.getAsBoolean() && !cancelled && Thread.currentThread().isInterrupted()) {
                // cut short by the stop (a resumed copy's compare killed): the next one resumes the job
                killUnjournaledCopy();
                return;
            }
            fail(cancelled ? JobState.CANCELLED : JobState.FAILED, reason(e));
        }
    }

    /**
     * Why the copy failed; a guest that shut down under it (its QEMU served the copy) is the likely
     * why. libvirt learns of QEMU's end a moment after the copy does: it is given a few seconds.
     */
    private String reason(Exception e) {
        for (int i = 0; export != null && i < 25; i++) {
            if (export.domainStopped()) {
                return "the domain stopped during the backup, and with it the QEMU that served the copy: " + e.getMessage();
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return e.getMessage();
    }

    private void copyDisk(BackupDisk disk) throws InterruptedException, IOException {
        Path target = Path.of(disk.target());
        String source = export != null ? export.uri(disk.name()) : source(disk).source();
        String format = export != null ? "raw" : source(disk).format();
        Optional<ProcessHandle> inFlight = journal.copyPid(disk.name()).flatMap(ProcessHandle::of)
                .filter(h -> isCopyOf(h, target));
        if (inFlight.isPresent()) {
            copy = inFlight.get();
            await(inFlight.get());
        }
        if (journal.copyPid(disk.name()).isPresent() && Files.exists(target)) {
            // A copy ran while we were away and we cannot know its exit code: compare instead.
            checkCancelled();
            if (qemuImg.identical(source, format, target.toString(), "qcow2")) {
                diskDone(disk, target);
                return;
            }
        }
        if (stopping.getAsBoolean()) {
            throw new InterruptedException("the provider is stopping: the next one starts this copy");
        }
        Paths.privateFile(target); // 0600 before the first byte is written
        Process p = qemuImg.startConvert(source, format, target, log(disk));
        copy = p.toHandle();
        journal.copying(disk.name(), p.pid());
        int exit = qemuImg.await(p, "copying disk " + disk.name());
        checkCancelled();
        if (exit != 0) {
            throw QemuImg.failure("copying disk " + disk.name(), QemuImg.errors(log(disk)));
        }
        diskDone(disk, target);
    }

    private void diskDone(BackupDisk disk, Path target) throws IOException {
        Files.setPosixFilePermissions(target, Paths.OWNER_ONLY_FILE);
        Files.deleteIfExists(log(disk));
        journal.markDone(disk.name());
    }

    private DomainDisk source(BackupDisk disk) {
        DomainDisk d = sources.get(disk.name());
        if (d == null || d.source() == null) {
            throw new BackupException(ErrorCode.NO_DISK, "disk " + disk.name() + " has no local source in the domain XML");
        }
        return d;
    }

    private void await(ProcessHandle handle) throws InterruptedException {
        try {
            while (true) {
                try {
                    handle.onExit().get(1, TimeUnit.SECONDS);
                    return;
                } catch (TimeoutException e) {
                    checkCancelled();
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A copy started whose pid the journal does not hold (its write failed as the stop came):
     * the next instance would start a second copy into the same image.
     */
    private void killUnjournaledCopy() {
        ProcessHandle p = copy;
        BackupDisk disk = current;
        if (p != null && p.isAlive() && (disk == null || !journal.copyPid(disk.name()).equals(Optional.of(p.pid())))) {
            p.destroyForcibly();
        }
    }

    private void fail(JobState state, String message) {
        ProcessHandle p = copy;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        String left = "";
        try {
            left = endExport();
        } finally {
            finish(state, Messages.joined(message, left), spec.backup().disks()); // whatever libvirt says, the job ends
        }
    }

    /** Ends the libvirt job, if one runs; returns what the user must do about a job that did not end, or "". */
    private String endExport() {
        return export == null ? "" : export.end().orElse("");
    }

    private void checkCancelled() {
        if (cancelled) {
            throw new Cancelled();
        }
    }

    private Path log(BackupDisk disk) {
        return spec.directory().resolve(disk.name() + ".copy.log");
    }

    private static boolean isCopyOf(ProcessHandle h, Path target) {
        return h.info().arguments().map(args -> List.of(args).contains(target.toString())).orElse(false);
    }

    /** Thrown inside the job when the caller cancelled it. */
    private static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Cancelled() {
            super("cancelled", null, false, false);
        }
    }
}
