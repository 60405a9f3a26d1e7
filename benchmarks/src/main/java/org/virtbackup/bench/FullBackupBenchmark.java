package org.virtbackup.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;

/**
 * Full backup of a running guest against the host's own copy of the same image.
 *
 * <p>Setup: a 4 GiB qcow2 disk whose first 2 GiB hold random data (incompressible, not
 * deduplicable), an OS-less guest running on it (it never writes). Then, interleaved:
 * <ul>
 * <li>baseline: {@code qemu-img convert -U -t none -O qcow2 disk out} (-U because the running
 * guest holds the image lock; the guest does not write, so the read is consistent; -t none:
 * the copy is on disk when it ends, as a backup must be);</li>
 * <li>backup: the service's {@code create} + {@code finishJob} (wall time from before create to
 * after finishJob returned), which must end COMPLETED; the backup is deleted afterwards.</li>
 * </ul>
 * Result: {@code ratio} = median(backup) / median(baseline); 1.0 means the service is as fast as
 * a plain local copy of the image. After the rounds the guest is shut off and the last backup
 * is compared with the disk ({@code qemu-img compare}); a difference fails the benchmark.
 */
public final class FullBackupBenchmark implements Benchmark {

    static final long DISK_SIZE = 4 * Host.GIB;
    static final long DATA_SIZE = 2 * Host.GIB;

    /**
     * An EnumSet, not Set.of(): BackupServiceImpl.delete does EnumSet.copyOf(flags), which throws
     * IllegalArgumentException("Collection is empty") for an empty set that is not an EnumSet.
     */
    private static final Set<DeleteFlag> NO_DELETE_FLAGS = EnumSet.noneOf(DeleteFlag.class);

    @Override
    public String name() {
        return "full-backup";
    }

    @Override
    public String description() {
        return "full backup of a running guest (4 GiB qcow2, 2 GiB random data) vs. qemu-img convert -t none of the image";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        Cleanup cleanup = ctx.cleanup();
        Path disk = ctx.workDir().resolve("disk.qcow2");
        Path baselineOut = ctx.workDir().resolve("convert-out.qcow2");
        String guestName = TestGuest.uniqueName("bench");

        ctx.say("%s: creating %s (%d GiB qcow2, %d GiB from /dev/urandom)", name(), disk, DISK_SIZE / Host.GIB,
                DATA_SIZE / Host.GIB);
        Host.randomImage(ctx.qemuImg(), disk, DATA_SIZE, DISK_SIZE);
        TestGuest guest = TestGuest.start(ctx.libvirtUri(), guestName, disk, cleanup);
        ctx.say("%s: guest %s running (%s)", name(), guest.name(), Host.virtType());

        // Short runtime directory: it holds the NBD unix sockets (107-byte path limit).
        Path runtime = Path.of("/run/virt-backup-bench-" + guestName.substring(guestName.lastIndexOf('-') + 1));
        Path backups = ctx.workDir().resolve("backups");
        cleanup.add("removing " + runtime, () -> Host.deleteTree(runtime));
        BenchConfig config = new BenchConfig(ctx.libvirtUri(), backups.toString(), runtime.toString(),
                ctx.workDir().resolve("scratch").toString(), ctx.qemuImg(), 8);
        ServiceHarness harness = new ServiceHarness(config);
        cleanup.add("closing the service", harness::close);
        BackupService service = harness.service();
        cleanup.add("cancelling running backups", () -> cancelRunning(service));

        List<String> baselineCmd = List.of(ctx.qemuImg(), "convert", "-U", "-t", "none", "-O", "qcow2",
                disk.toString(), baselineOut.toString());
        ctx.say("%s: baseline: %s", name(), String.join(" ", baselineCmd));
        ctx.say("%s: backup:   BackupService.create(%s) + finishJob, target %s", name(), guestName, backups);

        UUID[] kept = new UUID[1];
        // Before every measurement, untimed: remove the outputs of the previous ones and sync, so
        // each starts from the same state. (The root file system here is ext4 with online
        // discard: freeing 2 GiB issues discards at the next journal commit, which the service's
        // own fsyncs would otherwise trigger inside the measured time, and only in its runs.)
        Cleanup.Action settle = () -> {
            Files.deleteIfExists(baselineOut);
            if (kept[0] != null) {
                service.delete(kept[0], NO_DELETE_FLAGS);
                kept[0] = null;
            }
            Cmd.run("sync");
        };
        Interleaved.Measurement baseline = () -> {
            settle.run();
            return Interleaved.Sample.of(Cmd.exec(baselineCmd).requireSuccess().seconds());
        };
        Interleaved.Measurement backup = () -> {
            settle.run();
            return timeBackup(ctx, service, guestName, kept);
        };
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline),
                new Interleaved.Series("backup", backup)));

        // The copy must be the disk: compare the last backup with the image, guest shut off.
        Files.deleteIfExists(baselineOut);
        guest.destroy();
        Backup last = service.lookup(kept[0]).orElseThrow();
        Path image = Path.of(last.disks().get(0).target());
        Cmd.Outcome cmp = Cmd.exec(List.of(ctx.qemuImg(), "compare", "-f", "qcow2", "-F", "qcow2",
                disk.toString(), image.toString()));
        switch (cmp.exitCode()) {
            case 0 -> ctx.say("%s: check: last backup equals the disk (qemu-img compare: %s)", name(),
                    cmp.output().strip());
            case 1 -> throw new IllegalStateException("the backup differs from the disk: " + cmp.output().strip());
            default -> cmp.requireSuccess();
        }
        service.delete(kept[0], NO_DELETE_FLAGS);

        double ratio = Stats.median(times.get("backup")) / Stats.median(times.get("qemu-img convert"));
        ctx.say("%s: ratio backup/convert (medians) = %s", name(), String.format(Locale.ROOT, "%.3f", ratio));
        return List.of(Result.of(name(), "ratio", ratio));
    }

    /** One backup: create + finishJob timed; it is kept in {@code kept} (for the check at the end). */
    private Interleaved.Sample timeBackup(BenchContext ctx, BackupService service, String guest, UUID[] kept) {
        ChildWatch watch = ctx.phases() ? new ChildWatch("qemu-img", "convert") : null;
        try {
            long t0 = System.nanoTime();
            Backup b = service.create(guest, (String) null, Set.of());
            long t1 = System.nanoTime();
            JobState state = service.finishJob(b.uuid(), Set.of());
            long t2 = System.nanoTime();
            kept[0] = b.uuid();
            if (state != JobState.COMPLETED) {
                String why = service.lookup(b.uuid()).map(Backup::message).orElse("");
                throw new IllegalStateException("backup " + b.uuid() + " ended " + state
                        + (why.isEmpty() ? "" : ": " + why));
            }
            String detail = "";
            if (watch != null) {
                detail = phases(t0, t1, t2, watch);
            }
            return new Interleaved.Sample((t2 - t0) / 1e9, detail);
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
    }

    private static String phases(long t0, long t1, long t2, ChildWatch watch) {
        List<String> parts = new ArrayList<>();
        parts.add(String.format(Locale.ROOT, "create() %.3f", (t1 - t0) / 1e9));
        if (watch.started().isPresent() && watch.ended().isPresent()) {
            long s = watch.started().get();
            long e = watch.ended().get();
            parts.add(String.format(Locale.ROOT, "copy starts +%.3f", (s - t0) / 1e9));
            parts.add(String.format(Locale.ROOT, "copy %.3f", (e - s) / 1e9));
            parts.add(String.format(Locale.ROOT, "copy end -> finishJob %.3f", (t2 - e) / 1e9));
        } else {
            parts.add("copy not seen");
        }
        return String.join(", ", parts);
    }

    private static void cancelRunning(BackupService service) {
        for (Backup b : service.list(null, Set.of())) {
            if (b.state() == JobState.RUNNING) {
                service.finishJob(b.uuid(), Set.of(FinishJobFlag.CANCEL));
            }
        }
    }
}
