package org.virtbackup.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.JobState;

/**
 * A third-party client reading an unmanaged backup's full NBD export, against the host's own
 * copy of the same image.
 *
 * <p>Setup ({@link BackupFixture}): the guest of the full-backup benchmark (4 GiB qcow2, 2 GiB of
 * random data). Then, interleaved:
 * <ul>
 * <li>baseline: {@code qemu-img convert -U -t none -O qcow2 disk out};</li>
 * <li>export: {@code startUnmanaged} (unix socket), the client
 * {@code qemu-img convert -W -m 8 -t none -f raw -O qcow2 <uri> out}, then {@code finishJob}:
 * wall time from before startUnmanaged to after finishJob returned COMPLETED. The backup's
 * bookkeeping is deleted afterwards (untimed).</li>
 * </ul>
 * Result: {@code ratio} = median(export) / median(baseline). The last client copy is compared
 * with the disk ({@code qemu-img compare}); a difference fails the benchmark.
 */
public final class NbdExportBenchmark implements Benchmark {

    @Override
    public String name() {
        return "nbd-export";
    }

    @Override
    public String description() {
        return "a client reading the full NBD export of a running guest (4 GiB qcow2, 2 GiB random data) with "
                + "qemu-img convert -W -m 8 -t none vs. qemu-img convert -t none of the image";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        BackupFixture fixture = BackupFixture.start(ctx, name());
        BackupService service = fixture.service();
        Path disk = fixture.disk();
        Path baselineOut = ctx.workDir().resolve("convert-out.qcow2");
        Path clientOut = ctx.workDir().resolve("client-out.qcow2");
        List<String> baselineCmd = List.of(ctx.qemuImg(), "convert", "-U", "-t", "none", "-O", "qcow2",
                disk.toString(), baselineOut.toString());
        ctx.say("%s: baseline: %s", name(), String.join(" ", baselineCmd));
        ctx.say("%s: export:   BackupService.startUnmanaged(%s) + %s convert -W -m 8 -t none -f raw -O qcow2 <uri> %s"
                + " + finishJob", name(), fixture.guest().name(), ctx.qemuImg(), clientOut);

        UUID[] kept = new UUID[1];
        Cleanup.Action settle = () -> {
            Files.deleteIfExists(baselineOut);
            Files.deleteIfExists(clientOut);
            if (kept[0] != null) {
                service.delete(kept[0], FullBackupBenchmark.NO_DELETE_FLAGS);
                kept[0] = null;
            }
            Cmd.run("sync");
        };
        Interleaved.Measurement baseline = () -> {
            settle.run();
            return Interleaved.Sample.of(Cmd.exec(baselineCmd).requireSuccess().seconds());
        };
        Interleaved.Measurement export = () -> {
            settle.run();
            long t0 = System.nanoTime();
            Backup b = service.startUnmanaged(fixture.guest().name(), (String) null, Set.of());
            kept[0] = b.uuid();
            long t1 = System.nanoTime();
            String uri = b.disks().get(0).export().uri();
            Cmd.Outcome copy = Cmd.exec(List.of(ctx.qemuImg(), "convert", "-W", "-m", "8", "-t", "none", "-f", "raw",
                    "-O", "qcow2", uri, clientOut.toString())).requireSuccess();
            JobState state = service.finishJob(b.uuid(), Set.of());
            long t2 = System.nanoTime();
            if (state != JobState.COMPLETED) {
                throw new IllegalStateException("export " + b.uuid() + " ended " + state);
            }
            String detail = ctx.phases() ? String.format(Locale.ROOT, "startUnmanaged() %.3f, client copy %.3f, "
                    + "finishJob %.3f", (t1 - t0) / 1e9, copy.seconds(), (t2 - t0) / 1e9 - (t1 - t0) / 1e9 - copy.seconds())
                    : "";
            return new Interleaved.Sample((t2 - t0) / 1e9, detail);
        };
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline),
                new Interleaved.Series("export read", export)));

        fixture.guest().destroy();
        String same = fixture.compareWithDisk(clientOut);
        ctx.say("%s: check: the client's last copy equals the disk (qemu-img compare: %s)", name(), same);
        settle.run();

        double ratio = Stats.median(times.get("export read")) / Stats.median(times.get("qemu-img convert"));
        ctx.say("%s: ratio export/convert (medians) = %s", name(), String.format(Locale.ROOT, "%.3f", ratio));
        return List.of(Result.of(name(), "ratio", ratio));
    }
}
