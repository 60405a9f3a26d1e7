package org.virtbackup.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;

/**
 * Incremental backup of a running guest after a small scattered change, against a full backup
 * of the same guest in the same round.
 *
 * <p>Setup ({@link BackupFixture}, as the full-backup benchmark): a 4 GiB qcow2 disk whose first
 * 2 GiB hold random data, an OS-less guest running on it. Then, per round:
 * <ol>
 * <li>untimed: delete the previous round's pair (full with {@link DeleteFlag#ALL_CHILDREN}, which
 * removes its incremental first), {@code sync};</li>
 * <li>timed "full": {@code create(guest, null)} + {@code finishJob}, COMPLETED;</li>
 * <li>untimed: {@value #WRITES} writes of 1 MiB into the running guest through QEMU's block layer
 * ({@link TestGuest#write}), at 1 MiB-aligned offsets spread over the whole 4 GiB
 * ({@link #offset(int)}: one in each 64 MiB stretch, half in the random data, half in what
 * was unallocated), a new byte pattern each round; then {@code sync} (so the host's
 * write-back of those pages does not run inside the measurement);</li>
 * <li>timed "incremental": {@code create(guest, <domainbackup><parent><uuid>FULL</uuid>...)} +
 * {@code finishJob}, COMPLETED and of kind INCREMENTAL with the full as parent (a full made
 * instead fails the benchmark, with the service's reason); its disk's {@code stored()} (the
 * size of its qcow2 overlay) is recorded.</li>
 * </ol>
 * One warm-up round (not counted), then the rounds. Results: {@code incremental-backup ratio} =
 * median(incremental) / median(full) (target 0.1 or less) and {@code incremental-bytes ratio} =
 * median(stored) / 64 MiB dirtied (target 1.1 or less). After the rounds the guest is shut off
 * and the last incremental's image, read through its backing chain (which must lead to the last
 * full's image), is compared with the disk ({@code qemu-img compare}); a difference fails it.
 */
public final class IncrementalBackupBenchmark implements Benchmark {

    static final int WRITES = 64;
    static final long WRITE_SIZE = Host.MIB;
    static final long DIRTIED = WRITES * WRITE_SIZE;

    @Override
    public String name() {
        return "incremental-backup";
    }

    @Override
    public String description() {
        return "incremental backup of a running guest after 64 scattered 1 MiB writes (4 GiB qcow2, 2 GiB random"
                + " data) vs. a full backup of it";
    }

    /**
     * Offset of write {@code i} (0..63): the i-th 64 MiB stretch of the disk, plus a varying
     * whole number of MiB below 60, so the writes do not all sit at the same place in their
     * qcow2 L2 tables; always 1 MiB-aligned (hence 64 KiB-cluster-aligned). The last ends at
     * 4091 MiB.
     */
    static long offset(int i) {
        return i * 64 * Host.MIB + (i * 7L % 60) * Host.MIB;
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        BackupFixture fixture = BackupFixture.start(ctx, name());
        BackupService service = fixture.service();
        TestGuest guest = fixture.guest();
        ctx.say("%s: full:        BackupService.create(%s) + finishJob, target %s", name(), guest.name(),
                fixture.backups());
        ctx.say("%s: then, untimed, %d writes of %d MiB into the running guest (HMP qemu-io), sync", name(), WRITES,
                WRITE_SIZE / Host.MIB);
        ctx.say("%s: incremental: BackupService.create(%s, <parent>the full</parent>) + finishJob", name(),
                guest.name());

        UUID[] pair = new UUID[2]; // this round's full and incremental
        List<Double> stored = new ArrayList<>(); // bytes, every round including the warm-up
        int[] round = {0};
        Cleanup.Action settle = () -> {
            if (pair[0] != null) {
                service.delete(pair[0], EnumSet.of(DeleteFlag.ALL_CHILDREN));
                pair[0] = null;
                pair[1] = null;
            }
            Cmd.run("sync");
        };
        Interleaved.Measurement full = () -> {
            settle.run();
            UUID[] kept = new UUID[1];
            Interleaved.Sample sample = FullBackupBenchmark.timeBackup(ctx, fixture, kept);
            pair[0] = kept[0];
            return sample;
        };
        JobEvents events = null;
        if (ctx.phases()) {
            JobEvents e = new JobEvents(ctx.libvirtUri(), guest.name());
            ctx.cleanup().add("stopping virsh event", e::close);
            events = e;
        }
        JobEvents jobEvents = events;
        Interleaved.Measurement incremental = () -> {
            int pattern = 0x21 + round[0]++;
            for (int i = 0; i < WRITES; i++) {
                guest.write(pattern, offset(i), WRITE_SIZE);
            }
            Cmd.run("sync");
            ChildWatch overlay = ctx.phases() ? new ChildWatch("qemu-img", "create") : null;
            BackupFixture.Timed t;
            try {
                t = fixture.backup(parentXml(pair[0]));
            } finally {
                if (overlay != null) {
                    overlay.close();
                }
            }
            Backup b = t.backup();
            pair[1] = b.uuid();
            if (b.kind() != BackupKind.INCREMENTAL || !pair[0].equals(b.parent())) {
                throw new IllegalStateException("backup " + b.uuid() + " with parent " + pair[0] + " was made "
                        + b.kind() + " with parent " + b.parent()
                        + (b.message().isEmpty() ? "" : ": " + b.message()));
            }
            long bytes = b.disks().get(0).stored();
            stored.add((double) bytes);
            String detail = String.format(Locale.ROOT, "stored %.2f MiB = %.3f x dirtied", bytes / (double) Host.MIB,
                    bytes / (double) DIRTIED);
            if (jobEvents != null) {
                detail += "; " + phases(t, overlay, jobEvents.endedBetween(t.t0(), t.t2()));
            }
            return new Interleaved.Sample(t.seconds(), detail);
        };
        Map<String, List<Double>> times = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("full", full),
                new Interleaved.Series("incremental", incremental)));
        List<Double> counted = stored.subList(1, stored.size()); // without the warm-up
        double storedMedian = Stats.median(counted);
        ctx.say("%s: median   stored      %.2f MiB   (min %.2f, max %.2f, %d rounds) for %d MiB dirtied", name(),
                storedMedian / Host.MIB, Stats.min(counted) / Host.MIB, Stats.max(counted) / Host.MIB,
                counted.size(), DIRTIED / Host.MIB);

        // The last incremental, read through its backing chain (its full), must be the disk.
        guest.destroy();
        Backup lastFull = service.lookup(pair[0]).orElseThrow();
        Backup lastIncremental = service.lookup(pair[1]).orElseThrow();
        Path fullImage = Path.of(lastFull.disks().get(0).target());
        Path incImage = Path.of(lastIncremental.disks().get(0).target());
        Path backing = backingFile(ctx, incImage);
        if (!backing.normalize().equals(fullImage.normalize())) {
            throw new IllegalStateException("the incremental's image " + incImage + " is backed by " + backing
                    + ", not by its full's image " + fullImage);
        }
        String same = fixture.compareWithDisk(incImage);
        ctx.say("%s: check: last incremental (backed by its full) equals the disk (qemu-img compare: %s)", name(),
                same);
        service.delete(pair[0], EnumSet.of(DeleteFlag.ALL_CHILDREN));

        double ratio = Stats.median(times.get("incremental")) / Stats.median(times.get("full"));
        double bytesRatio = storedMedian / DIRTIED;
        ctx.say("%s: ratio incremental/full (medians) = %s, stored/dirtied (median) = %s", name(),
                String.format(Locale.ROOT, "%.3f", ratio), String.format(Locale.ROOT, "%.3f", bytesRatio));
        return List.of(Result.of(name(), "ratio", ratio), Result.of("incremental-bytes", "ratio", bytesRatio));
    }

    private static String parentXml(UUID parent) {
        return "<domainbackup><parent><uuid>" + parent + "</uuid></parent></domainbackup>";
    }

    /**
     * Where an incremental's time went: create() (and, within it, the start of libvirt's job and
     * the overlay's qemu-img create), libvirt's job, and from its end to finishJob's return (the
     * service noticing the end, recording it).
     */
    private static String phases(BackupFixture.Timed t, ChildWatch overlay, Optional<JobEvents.Job> job) {
        List<String> parts = new ArrayList<>();
        parts.add(String.format(Locale.ROOT, "create() %.3f", t.createSeconds()));
        if (overlay.started().isPresent() && overlay.ended().isPresent()) {
            parts.add(String.format(Locale.ROOT, "qemu-img create +%.3f..+%.3f", (overlay.started().get() - t.t0()) / 1e9,
                    (overlay.ended().get() - t.t0()) / 1e9));
        }
        if (job.isPresent()) {
            JobEvents.Job j = job.get();
            parts.add(String.format(Locale.ROOT, "libvirt job +%.3f..+%.3f (%.3f)", (j.startNanos() - t.t0()) / 1e9,
                    (j.endNanos() - t.t0()) / 1e9, (j.endNanos() - j.startNanos()) / 1e9));
            parts.add(String.format(Locale.ROOT, "job end -> finishJob returns %.3f", (t.t2() - j.endNanos()) / 1e9));
        } else {
            parts.add("libvirt job not seen");
        }
        return String.join(", ", parts);
    }

    /** The backing file of a qcow2 image as an absolute path (a relative one is taken from the image's directory). */
    private static Path backingFile(BenchContext ctx, Path image) {
        return image.getParent().resolve(Host.backingFile(ctx.qemuImg(), image)); // an absolute one stays as it is
    }
}
