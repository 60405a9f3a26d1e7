package org.virtbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.RestoreResult;

/**
 * Backups into a local repository, on the full-backup benchmark's guest (4 GiB qcow2, 2 GiB of
 * random data: incompressible, not deduplicable), each against a baseline in the same rounds:
 * <ul>
 * <li>{@code repository-full}: full backup into an encrypted repository (zstd on, AES-256-GCM on)
 * vs. {@code qemu-img convert -t none} of the image; {@code repository-full-plain}: the same
 * into a repository without a key. Before each backup the previous one is deleted and collected,
 * so each stores every chunk; {@code repository-full-busy}: the share of the host's cores the
 * encrypted backup and the guest's QEMU used meanwhile (near 1: bound by CPU; see {@link CpuUse});
 * {@code repository-full-floor}: reading and hashing the same chunks
 * over NBD, storing nothing ({@link ReadAndHash}), the best a repository backup could do here;</li>
 * <li>{@code repository-incremental}: per round a full backup, then 64 scattered 1 MiB writes
 * (untimed, as the incremental-backup benchmark), then an incremental: incremental / full, and
 * the bytes it stored / 64 MiB ({@code repository-incremental-bytes});</li>
 * <li>{@code repository-restore}: restore of the last incremental into a new qcow2 image vs.
 * {@code qemu-img convert -t none} of the disk; the restored image is compared with the disk;</li>
 * <li>{@code repository-verify}: verify of the last full backup vs. reading the bytes it stored
 * ({@code cat} of its chunk files).</li>
 * </ul>
 */
final class RepositoryBenchmark implements Benchmark {

    /** Warm-up rounds before the full backups are counted (see {@link CpuUse}'s JIT figure). */
    private static final int FULL_WARM_UPS = 3;

    /** The service's default {@code repository.streams}. */
    private static final int STREAMS = 8;

    @Override
    public String name() {
        return "repository";
    }

    @Override
    public String description() {
        return "full (encrypted, plain), incremental, restore and verify with a local repository vs. qemu-img convert";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        Path key = ctx.workDir().resolve("repository.key");
        Files.writeString(Files.createFile(key, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))),
                HexFormat.of().formatHex(new SecureRandom().generateSeed(32)));
        BackupFixture fixture = BackupFixture.start(ctx, name(), Map.of("repository.key.file", key.toString()));
        BackupService sealed = fixture.service();
        String sealedUrl = "file://" + ctx.workDir().resolve("repositories/sealed");
        sealed.setDefaultTarget(fixture.guest().name(), BackupTarget.repository(sealedUrl), Set.of());
        BackupFixture plainFixture = fixture.withService(Map.of("target.directory",
                ctx.workDir().resolve("backups-plain").toString()));
        String plainUrl = "file://" + ctx.workDir().resolve("repositories/plain");
        plainFixture.service().setDefaultTarget(fixture.guest().name(), BackupTarget.repository(plainUrl), Set.of());
        Path disk = fixture.disk();
        Path out = ctx.workDir().resolve("out.qcow2");
        List<String> convert = List.of(ctx.qemuImg(), "convert", "-U", "-t", "none", "-O", "qcow2", disk.toString(),
                out.toString());
        ctx.say("%s: baseline: %s", name(), String.join(" ", convert));

        List<Double> busy = new ArrayList<>(); // the encrypted backups' CPU share, the warm-ups' first
        UUID[] lastSealed = new UUID[1];
        UUID[] lastPlain = new UUID[1];
        Interleaved.Measurement baseline = () -> {
            Files.deleteIfExists(out);
            Cmd.run("sync");
            return Interleaved.Sample.of(Cmd.exec(convert).requireSuccess().seconds());
        };
        // Three warm-up rounds: a fresh JVM's JIT compilers were still at work 1.5-4.2 s (elapsed, summed
        // over them; printed per backup) in the first rounds after one, on cores the backup shares; a
        // service in Karaf compiles once.
        var full = Interleaved.run(ctx, name(), FULL_WARM_UPS, ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline),
                new Interleaved.Series("full, encrypted", () -> fresh(fixture, sealedUrl, lastSealed, busy)),
                new Interleaved.Series("full, plain", () -> fresh(plainFixture, plainUrl, lastPlain, new ArrayList<>())),
                new Interleaved.Series("read and hash only", () -> {
                    Cmd.run("sync");
                    return Interleaved.Sample.of(ReadAndHash.seconds(ctx, disk, STREAMS));
                })));
        Files.deleteIfExists(out);
        plainFixture.service().delete(lastPlain[0], EnumSet.noneOf(DeleteFlag.class));
        plainFixture.service().collect(plainUrl);

        // Incremental: a full, 64 scattered writes, an incremental on it; the pair goes at the next round.
        List<Double> stored = new ArrayList<>();
        UUID[] pair = new UUID[2];
        int[] round = {0};
        var incremental = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("full", () -> {
                    if (pair[0] != null) {
                        sealed.delete(pair[0], EnumSet.of(DeleteFlag.ALL));
                        sealed.collect(sealedUrl);
                    } else if (lastSealed[0] != null) {
                        sealed.delete(lastSealed[0], EnumSet.of(DeleteFlag.ALL));
                        sealed.collect(sealedUrl);
                    }
                    Cmd.run("sync");
                    BackupFixture.Timed t = fixture.backup(null);
                    pair[0] = t.backup().uuid();
                    return Interleaved.Sample.of(t.seconds());
                }),
                new Interleaved.Series("incremental", () -> {
                    round[0]++;
                    // Random data, a new MiB for each write: what it stores is what the guest wrote.
                    for (int i = 0; i < IncrementalBackupBenchmark.WRITES; i++) {
                        Path piece = randomFile(ctx.workDir().resolve("piece-" + i), Host.MIB);
                        fixture.guest().writeFile(piece, IncrementalBackupBenchmark.offset(i), Host.MIB);
                        Files.delete(piece);
                    }
                    Cmd.run("sync");
                    BackupFixture.Timed t = fixture.backup("<domainbackup><parent><uuid>" + pair[0]
                            + "</uuid></parent></domainbackup>");
                    if (t.backup().kind() != BackupKind.INCREMENTAL) {
                        throw new IllegalStateException("a full backup instead of an incremental: " + t.backup().message());
                    }
                    pair[1] = t.backup().uuid();
                    long bytes = t.backup().disks().get(0).stored();
                    stored.add((double) bytes);
                    return new Interleaved.Sample(t.seconds(), "stored " + bytes + " bytes");
                })));

        // Restore of the last incremental, and verification of its full.
        Path restored = ctx.workDir().resolve("restored.qcow2");
        var restore = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("qemu-img convert", baseline),
                new Interleaved.Series("restore", () -> {
                    Files.deleteIfExists(restored);
                    Cmd.run("sync");
                    long t0 = System.nanoTime();
                    RestoreResult r = sealed.restore("<domainbackup><uuid>" + pair[1] + "</uuid><disks><disk name='vda'>"
                            + "<target file='" + restored + "'/></disk></disks></domainbackup>", Set.of());
                    return Interleaved.Sample.of((System.nanoTime() - t0) / 1e9 + 0 * r.disks().size());
                }),
                new Interleaved.Series("read stored chunks", () -> Interleaved.Sample.of(Cmd.exec(List.of("sh", "-c",
                        "find " + ctx.workDir().resolve("repositories/sealed/packs") + " -type f -exec cat {} + >/dev/null"))
                        .requireSuccess().seconds())),
                new Interleaved.Series("verify", () -> {
                    long t0 = System.nanoTime();
                    if (!sealed.verify(pair[0]).whole()) {
                        throw new IllegalStateException("backup " + pair[0] + " verified damaged");
                    }
                    return Interleaved.Sample.of((System.nanoTime() - t0) / 1e9);
                })));
        Files.deleteIfExists(out);
        fixture.guest().destroy();
        ctx.say("%s: check: the restored image equals the disk (qemu-img compare: %s)", name(),
                fixture.compareWithDisk(restored));
        Files.deleteIfExists(restored);
        sealed.delete(pair[0], EnumSet.of(DeleteFlag.ALL));
        sealed.collect(sealedUrl);

        double convertFull = Stats.median(full.get("qemu-img convert"));
        double convertRestore = Stats.median(restore.get("qemu-img convert"));
        return List.of(
                Result.of(name() + "-full", "ratio", Stats.median(full.get("full, encrypted")) / convertFull),
                Result.of(name() + "-full-plain", "ratio", Stats.median(full.get("full, plain")) / convertFull),
                Result.of(name() + "-full-floor", "ratio", Stats.median(full.get("read and hash only")) / convertFull),
                Result.of(name() + "-full-busy", "share", Stats.median(busy.subList(FULL_WARM_UPS, busy.size()))),
                Result.of(name() + "-incremental", "ratio",
                        Stats.median(incremental.get("incremental")) / Stats.median(incremental.get("full"))),
                Result.of(name() + "-incremental-bytes", "ratio",
                        Stats.median(stored) / IncrementalBackupBenchmark.DIRTIED),
                Result.of(name() + "-restore", "ratio", Stats.median(restore.get("restore")) / convertRestore),
                Result.of(name() + "-verify", "ratio",
                        Stats.median(restore.get("verify")) / Stats.median(restore.get("read stored chunks"))));
    }

    /** A file of random bytes that QEMU's user may read. */
    static Path randomFile(Path file, long size) throws IOException {
        byte[] data = new byte[(int) size];
        new SecureRandom().nextBytes(data);
        Files.write(file, data);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    /** A full backup into a repository emptied of the previous one first (deleted, collected): it stores every chunk. */
    private static Interleaved.Sample fresh(BackupFixture fixture, String url, UUID[] last, List<Double> busy)
            throws IOException {
        BackupService service = fixture.service();
        if (last[0] != null) {
            service.delete(last[0], EnumSet.noneOf(DeleteFlag.class));
            service.collect(url);
        }
        Cmd.run("sync");
        CpuUse cpu = CpuUse.start(fixture.guest().name());
        BackupFixture.Timed t = fixture.backup(null);
        CpuUse.Used used = cpu.stop();
        busy.add(used.busy());
        last[0] = t.backup().uuid();
        Backup b = t.backup();
        return new Interleaved.Sample(t.seconds(), "stored " + b.disks().get(0).stored() + " bytes; " + used);
    }
}
