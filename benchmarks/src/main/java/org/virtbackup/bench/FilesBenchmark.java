package org.virtbackup.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.api.files.GuestFile;
import org.virtbackup.impl.config.Paths;

/**
 * A single file out of a full backup, against restoring the whole disk to get at it.
 *
 * <p>Setup, untimed: a 4 GiB disk holding one ext4 file system (made offline with
 * {@code mkfs.ext4 -d}) with {@value #BIG_MIB} MiB and {@value #FILE_MIB} MiB of random data in
 * two files, an OS-less guest running on it, a full backup.
 *
 * <p>Measured, interleaved (one warm-up round first, not counted; outputs removed and
 * {@code sync} before each):
 * <ul>
 * <li>baseline: {@code qemu-img convert -t none -O qcow2} of the backup's image: the host's own
 * copy of the disk, the least a restore of the disk to reach the file costs;</li>
 * <li>extract: {@code BackupFiles.extract} of the {@value #FILE_MIB} MiB file (qemu-nbd, nbdfuse,
 * a loop mount, the copy, and all of it taken down);</li>
 * <li>list: {@code BackupFiles.listFiles} of the file system's root (what opening and closing a
 * disk costs).</li>
 * </ul>
 * Results: {@code files extract-ratio} = median(extract) / median(convert), {@code files
 * list-seconds} = median(list). The extracted file is compared with the one written.
 */
public final class FilesBenchmark implements Benchmark {

    static final int BIG_MIB = 1024;
    static final int FILE_MIB = 256;

    @Override
    public String name() {
        return "files";
    }

    @Override
    public String description() {
        return "a 256 MiB file extracted from a full backup (4 GiB ext4 disk, 1.25 GiB of files) vs. qemu-img convert"
                + " -t none of the backup's image; listing a directory (open, mount, list, close)";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        Path tree = ctx.workDir().resolve("fs-tree");
        Path file = tree.resolve("one.bin");
        BackupFixture fixture = BackupFixture.start(ctx, name(), Map.of(), List.of(), disk -> {
            ctx.say("%s: creating %s: ext4 of %d GiB holding big.bin (%d MiB) and one.bin (%d MiB) of random data",
                    name(), disk, BackupFixture.DISK_SIZE / Host.GIB, BIG_MIB, FILE_MIB);
            Files.createDirectories(tree);
            Cmd.run("sh", "-c", "head -c " + BIG_MIB + "M /dev/urandom > " + tree.resolve("big.bin"));
            Cmd.run("sh", "-c", "head -c " + FILE_MIB + "M /dev/urandom > " + file);
            Path raw = ctx.workDir().resolve("fs.raw");
            Cmd.run("truncate", "-s", Long.toString(BackupFixture.DISK_SIZE), raw.toString());
            Cmd.run("mkfs.ext4", "-q", "-F", "-b", "4096", "-d", tree.toString(), raw.toString());
            Cmd.run(ctx.qemuImg(), "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), disk.toString());
            Files.delete(raw);
            Files.delete(tree.resolve("big.bin"));
        });
        ctx.cleanup().add("removing " + tree, () -> Paths.deleteTree(tree));
        UUID full = fixture.backup(null).backup().uuid();
        ctx.cleanup().add("deleting the backup", () -> fixture.service().delete(full, EnumSet.noneOf(DeleteFlag.class)));
        Path image = Path.of(fixture.service().lookup(full).orElseThrow().disks().get(0).target());
        BackupFiles files = fixture.files();

        Path converted = ctx.workDir().resolve("convert-out.qcow2");
        Path out = Files.createDirectories(ctx.workDir().resolve("extracted"));
        List<String> convert = List.of(ctx.qemuImg(), "convert", "-t", "none", "-O", "qcow2", image.toString(),
                converted.toString());
        ctx.say("%s: baseline: %s", name(), String.join(" ", convert));
        ctx.say("%s: extract:  BackupFiles.extract(%s, vda, one.bin, %s)", name(), full, out);
        Cleanup.Action settle = () -> {
            Files.deleteIfExists(converted);
            Files.deleteIfExists(out.resolve("one.bin"));
            Cmd.run("sync");
        };
        Interleaved.Measurement baseline = () -> {
            settle.run();
            return Interleaved.Sample.of(Cmd.exec(convert).requireSuccess().seconds());
        };
        Interleaved.Measurement extract = () -> {
            settle.run();
            long t0 = System.nanoTime();
            ExtractResult r = files.extract(full, "vda", "one.bin", out);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (r.bytes() != FILE_MIB * Host.MIB) {
                throw new IllegalStateException("extract of one.bin returned " + r);
            }
            return Interleaved.Sample.of(seconds);
        };
        Interleaved.Measurement list = () -> {
            long t0 = System.nanoTime();
            List<GuestFile> root = files.listFiles(full, "vda", null);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (root.stream().noneMatch(f -> f.name().equals("one.bin"))) {
                throw new IllegalStateException("the root of vda lists " + root);
            }
            return Interleaved.Sample.of(seconds);
        };
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline), new Interleaved.Series("extract", extract),
                new Interleaved.Series("list", list)));
        if (Files.mismatch(file, out.resolve("one.bin")) != -1) {
            throw new IllegalStateException(out.resolve("one.bin") + " differs from the file written into the disk");
        }
        ctx.say("%s: check: the last extracted one.bin equals the file written", name());
        settle.run();

        double ratio = Stats.median(times.get("extract")) / Stats.median(times.get("qemu-img convert"));
        ctx.say("%s: ratio extract/convert (medians) = %s", name(), String.format(Locale.ROOT, "%.3f", ratio));
        return List.of(Result.of(name(), "extract-ratio", ratio),
                Result.of(name(), "list-seconds", Stats.median(times.get("list"))));
    }
}
