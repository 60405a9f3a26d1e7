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

/**
 * Full backup of a running guest against the host's own copy of the same image.
 *
 * <p>Setup ({@link BackupFixture}): a 4 GiB qcow2 disk whose first 2 GiB hold random data
 * (incompressible, not deduplicable), an OS-less guest running on it (it never writes). Then,
 * interleaved:
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

    /**
     * An EnumSet, not Set.of(): BackupServiceImpl.delete did EnumSet.copyOf(flags), which throws
     * IllegalArgumentException("Collection is empty") for an empty set that is not an EnumSet.
     */
    static final Set<DeleteFlag> NO_DELETE_FLAGS = EnumSet.noneOf(DeleteFlag.class);

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
        BackupFixture fixture = BackupFixture.start(ctx, name());
        BackupService service = fixture.service();
        Path disk = fixture.disk();
        Path baselineOut = ctx.workDir().resolve("convert-out.qcow2");

        List<String> baselineCmd = List.of(ctx.qemuImg(), "convert", "-U", "-t", "none", "-O", "qcow2",
                disk.toString(), baselineOut.toString());
        ctx.say("%s: baseline: %s", name(), String.join(" ", baselineCmd));
        ctx.say("%s: backup:   BackupService.create(%s) + finishJob, target %s", name(), fixture.guest().name(),
                fixture.backups());

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
            return timeBackup(ctx, fixture, kept);
        };
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline),
                new Interleaved.Series("backup", backup)));

        // The copy must be the disk: compare the last backup with the image, guest shut off.
        Files.deleteIfExists(baselineOut);
        fixture.guest().destroy();
        Backup last = service.lookup(kept[0]).orElseThrow();
        String same = fixture.compareWithDisk(Path.of(last.disks().get(0).target()));
        ctx.say("%s: check: last backup equals the disk (qemu-img compare: %s)", name(), same);
        service.delete(kept[0], NO_DELETE_FLAGS);

        double ratio = Stats.median(times.get("backup")) / Stats.median(times.get("qemu-img convert"));
        ctx.say("%s: ratio backup/convert (medians) = %s", name(), String.format(Locale.ROOT, "%.3f", ratio));
        return List.of(Result.of(name(), "ratio", ratio));
    }

    /**
     * One full backup: create + finishJob timed; it is kept in {@code kept} (for the check at the
     * end). With --phases, the detail says when the copy (qemu-img convert) ran.
     */
    static Interleaved.Sample timeBackup(BenchContext ctx, BackupFixture fixture, UUID[] kept) {
        ChildWatch watch = ctx.phases() ? new ChildWatch("qemu-img", "convert") : null;
        try {
            BackupFixture.Timed t = fixture.backup(null);
            kept[0] = t.backup().uuid();
            return new Interleaved.Sample(t.seconds(), watch == null ? "" : phases(t, watch));
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
    }

    private static String phases(BackupFixture.Timed t, ChildWatch watch) {
        List<String> parts = new ArrayList<>();
        parts.add(String.format(Locale.ROOT, "create() %.3f", t.createSeconds()));
        if (watch.started().isPresent() && watch.ended().isPresent()) {
            long s = watch.started().get();
            long e = watch.ended().get();
            parts.add(String.format(Locale.ROOT, "copy starts +%.3f", (s - t.t0()) / 1e9));
            parts.add(String.format(Locale.ROOT, "copy %.3f", (e - s) / 1e9));
            parts.add(String.format(Locale.ROOT, "copy end -> finishJob %.3f", (t.t2() - e) / 1e9));
        } else {
            parts.add("copy not seen");
        }
        return String.join(", ", parts);
    }
}
