package org.virtbackup.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.repository.ObjectStore;
import org.virtbackup.s3.S3Endpoint;

/**
 * Backups into an encrypted repository on S3 (s3proxy on loopback, its filesystem backend under
 * the work directory), on the full-backup benchmark's guest (4 GiB qcow2, 2 GiB of random data),
 * each against a baseline through the same endpoint, client and part uploads:
 * <ul>
 * <li>{@code s3-full}: full backup vs. a plain multipart upload of the disk's 2 GiB of data (read
 * from a file in the page cache) as one object;</li>
 * <li>{@code s3-incremental}: an incremental after 64 scattered 1 MiB writes vs. the full before
 * it; {@code s3-incremental-bytes}: what it stored over 64 MiB;</li>
 * <li>{@code s3-restore}: restore of the incremental into a new qcow2 vs. a plain download of the
 * uploaded object, in part-sized ranges, 8 at once, into a file synced at the end.</li>
 * </ul>
 */
final class S3Benchmark implements Benchmark {

    private static final int PART = 8 << 20;
    private static final int PARALLEL = 8;

    @Override
    public String name() {
        return "s3";
    }

    @Override
    public String description() {
        return "full, incremental and restore with an encrypted repository on S3 (s3proxy) vs. a plain multipart "
                + "upload and a ranged download of the same bytes through the same client";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        S3Endpoint endpoint = BenchS3.start(ctx).endpoint();
        Path key = ctx.workDir().resolve("repository.key");
        Files.writeString(Files.createFile(key, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------"))),
                HexFormat.of().formatHex(new SecureRandom().generateSeed(32)));
        BackupFixture fixture = BackupFixture.start(ctx, name(), Map.of("repository.key.file", key.toString()),
                List.of(endpoint));
        BackupService service = fixture.service();
        String url = "s3://bench/repository";
        service.setDefaultTarget(fixture.guest().name(), BackupTarget.repository(url), Set.of());

        // The bytes the baselines move: the disk's data, as a file (untimed).
        Path data = ctx.workDir().resolve("data.raw");
        Cmd.exec(List.of(ctx.qemuImg(), "dd", "-U", "-f", "qcow2", "-O", "raw", "bs=1M",
                "count=" + BackupFixture.DATA_SIZE / Host.MIB, "if=" + fixture.disk(), "of=" + data)).requireSuccess();
        ObjectStore plain = endpoint.open(URI.create("s3://bench/baseline"));
        Interleaved.Measurement upload = () -> {
            plain.delete("object");
            long t0 = System.nanoTime();
            upload(data, plain);
            return Interleaved.Sample.of((System.nanoTime() - t0) / 1e9);
        };

        UUID[] last = new UUID[1];
        var full = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("multipart upload", upload),
                new Interleaved.Series("full, encrypted", () -> {
                    if (last[0] != null) {
                        service.delete(last[0], EnumSet.of(DeleteFlag.ALL));
                        service.collect(url);
                    }
                    BackupFixture.Timed t = fixture.backup(null);
                    last[0] = t.backup().uuid();
                    return new Interleaved.Sample(t.seconds(), "stored " + t.backup().disks().get(0).stored() + " bytes");
                })));

        List<Double> stored = new ArrayList<>();
        UUID[] pair = {last[0], null};
        var incremental = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("full", () -> {
                    if (pair[1] != null) {
                        service.delete(pair[0], EnumSet.of(DeleteFlag.ALL));
                        service.collect(url);
                    } else if (pair[0] != null) {
                        service.delete(pair[0], EnumSet.of(DeleteFlag.ALL));
                        service.collect(url);
                    }
                    BackupFixture.Timed t = fixture.backup(null);
                    pair[0] = t.backup().uuid();
                    return Interleaved.Sample.of(t.seconds());
                }),
                new Interleaved.Series("incremental", () -> {
                    for (int i = 0; i < IncrementalBackupBenchmark.WRITES; i++) {
                        Path piece = RepositoryBenchmark.randomFile(ctx.workDir().resolve("piece-" + i), Host.MIB);
                        fixture.guest().writeFile(piece, IncrementalBackupBenchmark.offset(i), Host.MIB);
                        Files.delete(piece);
                    }
                    BackupFixture.Timed t = fixture.backup("<domainbackup><parent><uuid>" + pair[0]
                            + "</uuid></parent></domainbackup>");
                    if (t.backup().kind() != BackupKind.INCREMENTAL) {
                        throw new IllegalStateException("a full backup instead of an incremental: " + t.backup().message());
                    }
                    pair[1] = t.backup().uuid();
                    stored.add((double) t.backup().disks().get(0).stored());
                    return new Interleaved.Sample(t.seconds(), "stored " + t.backup().disks().get(0).stored() + " bytes");
                })));

        Path downloaded = ctx.workDir().resolve("downloaded.raw");
        Path restored = ctx.workDir().resolve("restored.qcow2");
        var restore = Interleaved.run(ctx, name(), ctx.rounds(), List.of(
                new Interleaved.Series("ranged download", () -> {
                    Files.deleteIfExists(downloaded);
                    long t0 = System.nanoTime();
                    download(plain, downloaded);
                    return Interleaved.Sample.of((System.nanoTime() - t0) / 1e9);
                }),
                new Interleaved.Series("restore", () -> {
                    Files.deleteIfExists(restored);
                    long t0 = System.nanoTime();
                    service.restore("<domainbackup><uuid>" + pair[1] + "</uuid><disks><disk name='vda'><target file='"
                            + restored + "'/></disk></disks></domainbackup>", Set.of());
                    return Interleaved.Sample.of((System.nanoTime() - t0) / 1e9);
                })));
        if (Files.mismatch(data, downloaded) != -1) {
            throw new IllegalStateException("the downloaded object differs from what was uploaded");
        }
        fixture.guest().destroy();
        ctx.say("%s: check: the restored image equals the disk (qemu-img compare: %s)", name(),
                fixture.compareWithDisk(restored));
        Files.deleteIfExists(restored);
        Files.deleteIfExists(downloaded);
        service.delete(pair[0], EnumSet.of(DeleteFlag.ALL));
        service.collect(url);

        return List.of(
                Result.of(name() + "-full", "ratio", Stats.median(full.get("full, encrypted"))
                        / Stats.median(full.get("multipart upload"))),
                Result.of(name() + "-incremental", "ratio",
                        Stats.median(incremental.get("incremental")) / Stats.median(incremental.get("full"))),
                Result.of(name() + "-incremental-bytes", "ratio", Stats.median(stored) / IncrementalBackupBenchmark.DIRTIED),
                Result.of(name() + "-restore", "ratio", Stats.median(restore.get("restore"))
                        / Stats.median(restore.get("ranged download"))));
    }

    /** The file as one object, through the endpoint's multipart uploads (its parts, its parallelism). */
    private static void upload(Path file, ObjectStore store) throws IOException {
        byte[] buffer = new byte[1 << 20];
        try (var in = Files.newInputStream(file); ObjectStore.NewObject o = store.create("object")) {
            for (int n; (n = in.readNBytes(buffer, 0, buffer.length)) > 0;) {
                o.write(buffer, 0, n);
            }
            o.commit();
        }
    }

    /** The object into a file: part-sized ranges, {@value #PARALLEL} at once, synced at the end. */
    private static void download(ObjectStore store, Path file) throws Exception {
        long size = store.size("object").orElseThrow();
        ExecutorService threads = Executors.newFixedThreadPool(PARALLEL);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            List<Future<?>> parts = new ArrayList<>();
            for (long at = 0; at < size; at += PART) {
                long offset = at;
                parts.add(threads.submit(() -> {
                    byte[] b = new byte[PART];
                    int n = store.read("object", offset, b, (int) Math.min(PART, size - offset));
                    out.write(ByteBuffer.wrap(b, 0, n), offset);
                    return null;
                }));
            }
            for (Future<?> f : parts) {
                f.get();
            }
            out.force(true);
        } finally {
            threads.shutdown();
        }
    }
}
