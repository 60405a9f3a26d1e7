package org.virtbackup.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.impl.config.Configurations;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.service.StandaloneService;

/**
 * What the backup benchmarks share: a 4 GiB qcow2 disk whose first 2 GiB hold random data
 * (incompressible, not deduplicable), an OS-less guest running on it ({@link TestGuest}), and the
 * service wired outside OSGi ({@link StandaloneService}) with its backups under the benchmark's work
 * directory. Each benchmark makes its own (so each runs alone); everything is registered with the
 * context's cleanup as soon as it exists.
 */
final class BackupFixture {

    static final long DISK_SIZE = 4 * Host.GIB;
    static final long DATA_SIZE = 2 * Host.GIB;

    private final BenchContext ctx;
    private final Path disk;
    private final TestGuest guest;
    private final BackupService service;
    private final Path backups;
    private final Map<String, Object> settings;

    private BackupFixture(BenchContext ctx, Path disk, TestGuest guest, BackupService service, Path backups,
            Map<String, Object> settings) {
        this.settings = Map.copyOf(settings);
        this.ctx = ctx;
        this.disk = disk;
        this.guest = guest;
        this.service = service;
        this.backups = backups;
    }

    /** Creates the disk, starts the guest on it and the service; {@code benchmark} prefixes the messages. */
    static BackupFixture start(BenchContext ctx, String benchmark) throws Exception {
        return start(ctx, benchmark, Map.of());
    }

    /** {@link #start(BenchContext, String)} with more configuration for the service (a repository's key, say). */
    static BackupFixture start(BenchContext ctx, String benchmark, Map<String, Object> extra) throws Exception {
        return start(ctx, benchmark, extra, List.of());
    }

    /** {@link #start(BenchContext, String, Map)} with object stores' endpoints (S3). */
    static BackupFixture start(BenchContext ctx, String benchmark, Map<String, Object> extra,
            List<org.virtbackup.repository.ObjectStoreProvider> stores) throws Exception {
        return start(ctx, benchmark, extra, stores, disk -> {
            ctx.say("%s: creating %s (%d GiB qcow2, %d GiB from /dev/urandom)", benchmark, disk, DISK_SIZE / Host.GIB,
                    DATA_SIZE / Host.GIB);
            Host.randomImage(ctx.qemuImg(), disk, DATA_SIZE, DISK_SIZE);
        });
    }

    /** Makes the guest's disk, a qcow2 image, at the path given. */
    interface DiskMaker {
        void make(Path disk) throws Exception;
    }

    /** {@link #start(BenchContext, String, Map, List)} on a disk of the benchmark's own making. */
    static BackupFixture start(BenchContext ctx, String benchmark, Map<String, Object> extra,
            List<org.virtbackup.repository.ObjectStoreProvider> stores, DiskMaker maker) throws Exception {
        Cleanup cleanup = ctx.cleanup();
        Path disk = ctx.workDir().resolve("disk.qcow2");
        String guestName = TestGuest.uniqueName("bench");
        maker.make(disk);
        TestGuest guest = TestGuest.start(ctx.libvirtUri(), guestName, disk, cleanup);
        ctx.say("%s: guest %s running (%s)", benchmark, guest.name(), Host.virtType());

        // Short runtime directory: it holds the NBD unix sockets (107-byte path limit).
        Path runtime = Path.of("/run/virt-backup-bench-" + guestName.substring(guestName.lastIndexOf('-') + 1));
        Path backups = ctx.workDir().resolve("backups");
        cleanup.add("removing " + runtime, () -> Paths.deleteTree(runtime));
        // Restores may write anywhere in the benchmark's own work directory, nowhere else.
        // Exports listen on private unix sockets, as by default; a benchmark ends its exports itself.
        Map<String, Object> settings = new HashMap<>(Map.of("libvirt.uri", ctx.libvirtUri(),
                "target.directory", backups.toString(), "target.roots", backups + "," + ctx.workDir().resolve("repositories"),
                "runtime.directory", runtime.toString(), "scratch.directory", ctx.workDir().resolve("scratch").toString(),
                "restore.roots", ctx.workDir().toString(), "qemu.img", ctx.qemuImg(), "copy.parallelism", 8,
                "export.expiry.seconds", 0));
        settings.putAll(extra);
        VirtBackupConfig config = Configurations.of(settings);
        StandaloneService standalone = new StandaloneService(config, stores);
        cleanup.add("closing the service", standalone::close);
        BackupService service = standalone.service();
        cleanup.add("cancelling running backups", () -> cancelRunning(service));
        return new BackupFixture(ctx, disk, guest, service, backups, settings);
    }

    Path disk() {
        return disk;
    }

    /** Another service, configured as this one plus {@code extra}, on the same guest (closed with the benchmark). */
    BackupFixture withService(Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>(this.settings);
        settings.putAll(extra);
        StandaloneService standalone = new StandaloneService(Configurations.of(settings));
        ctx.cleanup().add("closing the second service", standalone::close);
        BackupService other = standalone.service();
        ctx.cleanup().add("cancelling running backups", () -> cancelRunning(other));
        return new BackupFixture(ctx, disk, guest, other, backups, settings);
    }

    TestGuest guest() {
        return guest;
    }

    BackupService service() {
        return service;
    }

    /** The same service as {@link BackupFiles}: the implementation registers both. */
    BackupFiles files() {
        return (BackupFiles) service;
    }

    Path backups() {
        return backups;
    }

    /**
     * A backup that ended COMPLETED, as the catalogue has it then, and {@link System#nanoTime()}
     * before {@code create}, after {@code create} returned and after {@code finishJob} returned.
     */
    record Timed(Backup backup, long t0, long t1, long t2) {

        /** Wall time from before create to after finishJob. */
        double seconds() {
            return (t2 - t0) / 1e9;
        }

        double createSeconds() {
            return (t1 - t0) / 1e9;
        }

        double finishJobSeconds() {
            return (t2 - t1) / 1e9;
        }
    }

    /**
     * One backup of the guest: {@code create(guest, backupXml)} + {@code finishJob}, timed; fails
     * unless it ends COMPLETED (the backup then stays in the catalogue; the work directory goes).
     */
    Timed backup(String backupXml) {
        long t0 = System.nanoTime();
        Backup b = service.create(guest.name(), backupXml, Set.of());
        long t1 = System.nanoTime();
        JobState state = service.finishJob(b.uuid(), Set.of());
        long t2 = System.nanoTime();
        Backup done = service.lookup(b.uuid()).orElseThrow(
                () -> new IllegalStateException("backup " + b.uuid() + " is not in the catalogue after finishJob"));
        if (state != JobState.COMPLETED) {
            throw new IllegalStateException("backup " + b.uuid() + " ended " + state
                    + (done.message().isEmpty() ? "" : ": " + done.message()));
        }
        return new Timed(done, t0, t1, t2);
    }

    /**
     * {@code qemu-img compare} of the disk with a backup's image (read through its backing chain);
     * the guest must be shut off. Returns qemu-img's message; fails if they differ.
     */
    String compareWithDisk(Path image) {
        Cmd.Outcome cmp = Cmd.exec(List.of(ctx.qemuImg(), "compare", "-f", "qcow2", "-F", "qcow2",
                disk.toString(), image.toString()));
        return switch (cmp.exitCode()) {
            case 0 -> cmp.output().strip();
            case 1 -> throw new IllegalStateException(image + " differs from the disk: " + cmp.output().strip());
            default -> {
                cmp.requireSuccess();
                yield "";
            }
        };
    }

    private static void cancelRunning(BackupService service) {
        for (Backup b : service.list(null, Set.of())) {
            if (b.state() == JobState.RUNNING) {
                service.finishJob(b.uuid(), Set.of(FinishJobFlag.CANCEL));
            }
        }
    }
}
