package org.virtbackup.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DeleteFlag;

/**
 * What a repository stores, not how fast (one run, no rounds):
 * <ul>
 * <li>{@code repository-dedup}: the benchmark guest (4 GiB qcow2, 2 GiB random data) and a clone
 * of its image that then receives 64 MiB of its own (64 scattered writes of 1 MiB of random
 * data, as the incremental benchmark places them); each backed up in full into one repository:
 * the bytes the clone's backup adds / 64 MiB (target 1.5 or less);</li>
 * <li>{@code repository-compression}: a guest whose disk holds the first 512 MiB of a tar of
 * {@code /usr/share} (text, binaries, images: what file systems hold), backed up in full: the
 * bytes stored / the bytes allocated (zstd should give 0.5 or less).</li>
 * </ul>
 */
final class RepositorySpaceBenchmark implements Benchmark {

    private static final long TAR = 512 * Host.MIB;

    @Override
    public String name() {
        return "repository-space";
    }

    @Override
    public String description() {
        return "bytes a cloned guest's backup adds to a repository, and zstd on file-system data";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        BackupFixture fixture = BackupFixture.start(ctx, name());
        BackupService service = fixture.service();
        String url = "file://" + ctx.workDir().resolve("repositories/space");

        Path cloneDisk = ctx.workDir().resolve("clone.qcow2");
        Cmd.run(ctx.qemuImg(), "convert", "-U", "-O", "qcow2", fixture.disk().toString(), cloneDisk.toString());
        TestGuest clone = TestGuest.start(ctx.libvirtUri(), TestGuest.uniqueName("bench-clone"), cloneDisk, ctx.cleanup());
        for (int i = 0; i < IncrementalBackupBenchmark.WRITES; i++) {
            Path piece = RepositoryBenchmark.randomFile(ctx.workDir().resolve("piece-" + i), Host.MIB);
            clone.writeFile(piece, IncrementalBackupBenchmark.offset(i), Host.MIB);
            Files.delete(piece);
        }
        service.setDefaultTarget(fixture.guest().name(), BackupTarget.repository(url), Set.of());
        service.setDefaultTarget(clone.name(), BackupTarget.repository(url), Set.of());
        Backup first = fixture.backup(null).backup();
        Backup second = backup(service, clone.name());
        long added = second.disks().get(0).stored();
        ctx.say("%s: the guest's backup stored %d bytes; its clone's, with 64 MiB of its own, %d bytes and found %d stored",
                name(), first.disks().get(0).stored(), added, second.disks().get(0).deduplicated());

        // File-system data: a tar of /usr/share, its first 512 MiB, as a guest's disk.
        Path raw = ctx.workDir().resolve("share.raw");
        Cmd.exec(List.of("sh", "-c", "tar cf - -C / usr/share 2>/dev/null | head -c " + TAR + " > " + raw))
                .requireSuccess();
        Path shareDisk = ctx.workDir().resolve("share.qcow2");
        Cmd.run(ctx.qemuImg(), "convert", "-f", "raw", "-O", "qcow2", raw.toString(), shareDisk.toString());
        long allocated = Files.size(raw);
        Files.delete(raw);
        TestGuest share = TestGuest.start(ctx.libvirtUri(), TestGuest.uniqueName("bench-share"), shareDisk, ctx.cleanup());
        service.setDefaultTarget(share.name(), BackupTarget.repository(url), Set.of());
        Backup packed = backup(service, share.name());
        long stored = packed.disks().get(0).stored();
        ctx.say("%s: %d bytes of /usr/share stored as %d", name(), allocated, stored);

        for (Backup b : List.of(first, second, packed)) {
            service.delete(b.uuid(), EnumSet.of(DeleteFlag.ALL));
        }
        service.collect(url);
        return List.of(Result.of("repository-dedup", "ratio", added / (double) IncrementalBackupBenchmark.DIRTIED),
                Result.of("repository-compression", "ratio", stored / (double) allocated));
    }

    private static Backup backup(BackupService service, String domain) {
        Backup b = service.create(domain, (String) null, Set.of());
        service.finishJob(b.uuid(), Set.of());
        Backup done = service.lookup(b.uuid()).orElseThrow();
        if (done.state() != org.virtbackup.api.JobState.COMPLETED) {
            throw new IllegalStateException("backup of " + domain + " ended " + done.state() + ": " + done.message());
        }
        return done;
    }
}
