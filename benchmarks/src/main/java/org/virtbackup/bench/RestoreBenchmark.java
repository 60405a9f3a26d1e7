package org.virtbackup.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;

/**
 * Restore of the tip of a backup chain (a full and {@value #INCREMENTALS} incrementals) into a
 * new image, against the host's own copy of an image with the same content; and the time of an
 * instant restore of that tip into a new domain.
 *
 * <p>Setup, untimed ({@link BackupFixture}, as the backup benchmarks): a 4 GiB qcow2 disk whose
 * first 2 GiB hold random data, an OS-less guest running on it; a full backup; then
 * {@value #INCREMENTALS} times: {@value #WRITES} writes of 1 MiB into the running guest through
 * QEMU's block layer ({@link TestGuest#write}) at places that differ from round to round
 * ({@link #offset(int, int)}), and an incremental backup with the previous backup as parent. The
 * tip's image thus reads through a backing chain of 11 images. Then the guest is shut off
 * ({@code virsh destroy}): nothing was written after the last backup, so its disk now holds
 * exactly the tip's content.
 *
 * <p>Measured, interleaved (one warm-up round first, not counted; before each measurement,
 * untimed, the previous outputs are removed and {@code sync} runs):
 * <ul>
 * <li>baseline: {@code qemu-img convert -t none -O qcow2 disk out} of the guest's disk (no -U:
 * the guest is shut off);</li>
 * <li>restore: {@code BackupService.restore(<domainbackup><uuid>TIP</uuid><disks><disk name='vda'>
 * <target file='...'/>...)} into a new qcow2 image in the work directory (the configured
 * restore root), wall time of the call.</li>
 * </ul>
 * Result: {@code restore ratio} = median(restore) / median(baseline) (target 1.3 or less). After
 * the rounds the last restored image is compared with the disk ({@code qemu-img compare}); a
 * difference fails the benchmark.
 *
 * <p>Then the instant restore: {@code restore(<domainbackup><uuid>TIP</uuid><domainName>...</domainName>
 * <disks>...<target file='overlay'/>..., NEW_DOMAIN + INSTANT)}, which defines a new (not
 * started) domain whose disk is a thin qcow2 overlay on the backup chain; wall time of the call,
 * one warm-up and the rounds, the domain undefined and its overlay removed after each (untimed).
 * Result: {@code instant-restore seconds} = the median, or {@code n/a} when the service answers
 * NOT_SUPPORTED (the run goes on).
 */
public final class RestoreBenchmark implements Benchmark {

    static final int INCREMENTALS = 10;
    static final int WRITES = 8;
    static final long WRITE_SIZE = Host.MIB;

    @Override
    public String name() {
        return "restore";
    }

    @Override
    public String description() {
        return "restore of the tip of a chain (full + 10 incrementals; 4 GiB qcow2, 2 GiB random data) into a new"
                + " image vs. qemu-img convert -t none of an image with the same content; instant restore time";
    }

    /**
     * Offset of write {@code i} (0..7) of incremental {@code round} (0..9): the i-th 512 MiB
     * stretch of the disk plus a whole number of MiB below 500 that differs by 50 MiB from round
     * to round, so no two rounds write the same place; 1 MiB-aligned, half in the random data and
     * half in what was unallocated. The last ends at 4084 MiB.
     */
    static long offset(int round, int i) {
        return i * 512 * Host.MIB + ((round * 50L + i * 7L) % 500) * Host.MIB;
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        BackupFixture fixture = BackupFixture.start(ctx, name());
        BackupService service = fixture.service();
        TestGuest guest = fixture.guest();
        Path disk = fixture.disk();
        List<UUID> chain = new ArrayList<>();
        // Registered before the first backup exists (cleanup runs last-registered first: before
        // the service closes). The instant-restored domains' removal, registered later, runs
        // before this: a backup under an instant-restored domain cannot be deleted.
        ctx.cleanup().add("deleting the backups", () -> {
            if (!chain.isEmpty() && service.lookup(chain.get(0)).isPresent()) {
                service.delete(chain.get(0), EnumSet.of(DeleteFlag.ALL_CHILDREN));
            }
        });

        ctx.say("%s: setup: full backup of %s, then %d x (%d writes of %d MiB into the running guest, incremental"
                + " backup with the previous as parent)", name(), guest.name(), INCREMENTALS, WRITES,
                WRITE_SIZE / Host.MIB);
        long setup = System.nanoTime();
        chain.add(fixture.backup(null).backup().uuid());
        for (int round = 0; round < INCREMENTALS; round++) {
            for (int i = 0; i < WRITES; i++) {
                guest.write(0x41 + round, offset(round, i), WRITE_SIZE);
            }
            UUID parent = chain.get(chain.size() - 1);
            Backup b = fixture.backup("<domainbackup><parent><uuid>" + parent + "</uuid></parent></domainbackup>")
                    .backup();
            chain.add(b.uuid());
            if (b.kind() != BackupKind.INCREMENTAL || !parent.equals(b.parent())) {
                throw new IllegalStateException("backup " + b.uuid() + " with parent " + parent + " was made "
                        + b.kind() + " with parent " + b.parent() + (b.message().isEmpty() ? "" : ": " + b.message()));
            }
        }
        UUID tip = chain.get(chain.size() - 1);
        Path tipImage = Path.of(service.lookup(tip).orElseThrow().disks().get(0).target());
        int depth = chainLength(ctx, tipImage);
        if (depth != INCREMENTALS + 1) {
            throw new IllegalStateException("the tip's image " + tipImage + " reads through " + depth
                    + " images, not " + (INCREMENTALS + 1));
        }
        // Nothing is written after the last backup: shut off, the disk holds the tip's content.
        guest.destroy();
        ctx.say("%s: setup done in %.0f s: tip %s, its image reads through a chain of %d images; guest shut off",
                name(), (System.nanoTime() - setup) / 1e9, tip, depth);

        Path baselineOut = ctx.workDir().resolve("convert-out.qcow2");
        Path restored = ctx.workDir().resolve("restored.qcow2");
        List<String> baselineCmd = List.of(ctx.qemuImg(), "convert", "-t", "none", "-O", "qcow2", disk.toString(),
                baselineOut.toString());
        String restoreXml = "<domainbackup><uuid>" + tip + "</uuid><disks><disk name='vda'><target file='"
                + restored + "'/></disk></disks></domainbackup>";
        ctx.say("%s: baseline: %s", name(), String.join(" ", baselineCmd));
        ctx.say("%s: restore:  BackupService.restore(%s, {})", name(), restoreXml);

        // As in the full-backup benchmark: outputs removed and synced before each measurement, so
        // the discards and write-back of the previous output do not land inside the next one.
        Cleanup.Action settle = () -> {
            Files.deleteIfExists(baselineOut);
            Files.deleteIfExists(restored);
            Cmd.run("sync");
        };
        Interleaved.Measurement baseline = () -> {
            settle.run();
            return Interleaved.Sample.of(Cmd.exec(baselineCmd).requireSuccess().seconds());
        };
        Interleaved.Measurement restore = () -> {
            settle.run();
            ChildWatch measure = ctx.phases() ? new ChildWatch("qemu-img", "measure") : null;
            ChildWatch convert = ctx.phases() ? new ChildWatch("qemu-img", "convert") : null;
            try {
                long t0 = System.nanoTime();
                RestoreResult r = service.restore(restoreXml, EnumSet.noneOf(RestoreFlag.class));
                long t1 = System.nanoTime();
                if (r.disks().size() != 1 || !restored.toString().equals(r.disks().get(0).path())
                        || !Files.exists(restored)) {
                    throw new IllegalStateException("restore of " + tip + " into " + restored + " returned " + r);
                }
                return new Interleaved.Sample((t1 - t0) / 1e9,
                        measure == null ? "" : phases(t0, t1, measure, convert));
            } finally {
                if (measure != null) {
                    measure.close();
                    convert.close();
                }
            }
        };
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline),
                new Interleaved.Series("restore", restore)));

        Files.deleteIfExists(baselineOut);
        String same = fixture.compareWithDisk(restored);
        ctx.say("%s: check: last restored image equals the disk (qemu-img compare: %s)", name(), same);
        Files.deleteIfExists(restored);

        double ratio = Stats.median(times.get("restore")) / Stats.median(times.get("qemu-img convert"));
        ctx.say("%s: ratio restore/convert (medians) = %s", name(), String.format(Locale.ROOT, "%.3f", ratio));

        Result instant = instantRestore(ctx, fixture, tip);

        service.delete(chain.get(0), EnumSet.of(DeleteFlag.ALL_CHILDREN));
        chain.clear();
        return List.of(Result.of(name(), "ratio", ratio), instant);
    }

    /**
     * Times {@code restore(NEW_DOMAIN, INSTANT)} of the tip (warm-up + rounds); each new domain is
     * removed and its overlay deleted after its measurement, untimed. NOT_SUPPORTED gives "n/a".
     */
    private Result instantRestore(BenchContext ctx, BackupFixture fixture, UUID tip) throws Exception {
        BackupService service = fixture.service();
        String key = "instant-restore";
        Path overlay = ctx.workDir().resolve("instant.qcow2");
        TestGuest[] made = new TestGuest[1];
        // Runs before the backups' deletion (registered after it): the backups must outlive it.
        Cleanup.Action remove = () -> {
            if (made[0] != null) {
                made[0].remove();
                made[0] = null;
            }
            Files.deleteIfExists(overlay);
        };
        ctx.cleanup().add("removing the instantly restored domain", remove);
        Interleaved.Measurement measurement = () -> {
            remove.run();
            Cmd.run("sync");
            String domain = TestGuest.uniqueName("bench-instant");
            // Known before the call: if it fails after defining the domain, cleanup still finds it.
            made[0] = TestGuest.existing(ctx.libvirtUri(), domain, overlay);
            String xml = "<domainbackup><uuid>" + tip + "</uuid><domainName>" + domain + "</domainName><disks>"
                    + "<disk name='vda'><target file='" + overlay + "'/></disk></disks></domainbackup>";
            long t0 = System.nanoTime();
            RestoreResult r = service.restore(xml, EnumSet.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.INSTANT));
            long t1 = System.nanoTime();
            if (r.domain() == null || !domain.equals(r.domain().name()) || !Files.exists(overlay)) {
                throw new IllegalStateException("instant restore of " + tip + " as " + domain + " returned " + r);
            }
            return new Interleaved.Sample((t1 - t0) / 1e9, "domain " + domain);
        };
        ctx.say("%s: instant restore: BackupService.restore(<domainbackup><uuid>%s</uuid><domainName>NAME"
                + "</domainName>... <target file='%s'/>..., {NEW_DOMAIN, INSTANT})", name(), tip, overlay);
        try {
            Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                    new Interleaved.Series("instant restore", measurement)));
            // The last one (its domain is defined, not started): its overlay must read as the tip,
            // i.e. as the disk, through the backup chain.
            String backing = Host.backingFile(ctx.qemuImg(), overlay);
            String same = fixture.compareWithDisk(overlay);
            ctx.say("%s: check: the last instant overlay (backed by %s) equals the disk (qemu-img compare: %s)",
                    name(), backing, same);
            return Result.of(key, "seconds", Stats.median(times.get("instant restore")));
        } catch (BackupException e) {
            if (e.code() != ErrorCode.NOT_SUPPORTED) {
                throw e;
            }
            ctx.say("%s: instant restore is not supported by the service (%s): n/a", name(), e.getMessage());
            return new Result(key, "seconds", "n/a");
        } finally {
            remove.run();
        }
    }

    private static String phases(long t0, long t1, ChildWatch measure, ChildWatch convert) {
        List<String> parts = new ArrayList<>();
        if (measure.started().isPresent() && measure.ended().isPresent()) {
            parts.add(String.format(Locale.ROOT, "qemu-img measure +%.3f..+%.3f", (measure.started().get() - t0) / 1e9,
                    (measure.ended().get() - t0) / 1e9));
        }
        if (convert.started().isPresent() && convert.ended().isPresent()) {
            long s = convert.started().get();
            long e = convert.ended().get();
            parts.add(String.format(Locale.ROOT, "copy +%.3f..+%.3f (%.3f)", (s - t0) / 1e9, (e - t0) / 1e9,
                    (e - s) / 1e9));
            parts.add(String.format(Locale.ROOT, "copy end -> return %.3f", (t1 - e) / 1e9));
        } else {
            parts.add("copy not seen");
        }
        return String.join(", ", parts);
    }

    /** How many images a qcow2 image reads through, itself included. */
    private static int chainLength(BenchContext ctx, Path image) {
        String json = Cmd.run(ctx.qemuImg(), "info", "-U", "--backing-chain", "--output=json", image.toString());
        // one "backing-filename" per image that has a backing file: all but the last
        Matcher m = Pattern.compile("\"backing-filename\":").matcher(json);
        int n = 1;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
