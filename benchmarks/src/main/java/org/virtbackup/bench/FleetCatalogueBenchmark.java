package org.virtbackup.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.Configurations;
import org.virtbackup.impl.service.StandaloneService;
import org.virtbackup.impl.xml.BackupXml;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.ManifestImport;
import org.virtbackup.repository.Repository;
import org.virtbackup.repository.RepositoryKey;
import org.virtbackup.s3.S3Endpoint;

/**
 * The catalogue of a fleet's repository at scale: 10,000 backups (100 domains of 100), their
 * manifests made by a tool ({@link ManifestImport}: no data behind them) in an encrypted
 * repository on S3 (s3proxy on loopback). Per round, the service starts with that repository as
 * its {@code repository.url} and lists everything ({@code fleet-catalogue-start}, seconds: the
 * issue asks under 5); then {@code list} of one domain ({@code fleet-catalogue-list}, ms, median
 * of 100: under 50) and {@code lookup} ({@code fleet-catalogue-lookup}, ms, median of 10,000: under 1).
 */
final class FleetCatalogueBenchmark implements Benchmark {

    static final int DOMAINS = 100;
    static final int PER_DOMAIN = 100;

    @Override
    public String name() {
        return "fleet-catalogue";
    }

    @Override
    public String description() {
        return "10,000 backups in an S3 repository: service start and full listing, list of one domain, lookup";
    }

    @Override
    public List<Result> run(BenchContext ctx) throws Exception {
        S3Endpoint endpoint = BenchS3.start(ctx).endpoint();
        Path keyFile = ctx.workDir().resolve("repository.key");
        RepositoryKey key = RepositoryKey.generate(keyFile);
        String url = "s3://bench/catalogue";
        Repository repo = Repository.create(endpoint.open(URI.create(url)), 1 << 20, key);

        ctx.say("%s: writing %d manifests into %s", name(), DOMAINS * PER_DOMAIN, url);
        long t0 = System.nanoTime();
        List<UUID> all = write(repo, url);
        ctx.say("%s: written in %.1f s", name(), (System.nanoTime() - t0) / 1e9);

        Map<String, Object> settings = Map.of("libvirt.uri", ctx.libvirtUri(),
                "target.directory", ctx.workDir().resolve("backups").toString(),
                "runtime.directory", "/run/virt-backup-bench-catalogue", "repository.url", url,
                "repository.key.file", keyFile.toString(), "repository.refresh.seconds", 0);
        List<Double> starts = new ArrayList<>();
        List<Double> lists = new ArrayList<>();
        List<Double> lookups = new ArrayList<>();
        for (int round = 0; round < ctx.rounds(); round++) {
            long s0 = System.nanoTime();
            try (StandaloneService standalone = new StandaloneService(Configurations.of(settings), List.of(endpoint))) {
                BackupService service = standalone.service();
                int listed = service.list(null, Set.of()).size();
                double start = (System.nanoTime() - s0) / 1e9;
                if (listed != all.size()) {
                    throw new IllegalStateException("listed " + listed + " backups, not " + all.size());
                }
                starts.add(start);
                for (int i = 0; i < 100; i++) {
                    long l0 = System.nanoTime();
                    int n = service.list("domain-" + (i % DOMAINS), Set.of()).size();
                    lists.add((System.nanoTime() - l0) / 1e6);
                    if (n != PER_DOMAIN) {
                        throw new IllegalStateException("domain-" + i + ": " + n + " backups, not " + PER_DOMAIN);
                    }
                }
                for (UUID u : all) {
                    long l0 = System.nanoTime();
                    service.lookup(u).orElseThrow();
                    lookups.add((System.nanoTime() - l0) / 1e6);
                }
                ctx.say("%s: round %d: started and listed %d backups in %.2f s; list of a domain %.2f ms, lookup %.4f ms "
                        + "(medians)", name(), round + 1, listed, start, Stats.median(lists), Stats.median(lookups));
            }
        }
        return List.of(Result.of(name() + "-start", "seconds", Stats.median(starts)),
                Result.of(name() + "-list", "ms", Stats.median(lists)),
                Result.of(name() + "-lookup", "ms", Stats.median(lookups)));
    }

    /** The manifests, 8 writes at once: descriptors as the service writes them, for disks of 4 GiB. */
    private static List<UUID> write(Repository repo, String url) throws Exception {
        BackupXml xml = new BackupXml();
        List<UUID> all = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> writes = new ArrayList<>();
            Instant base = Instant.parse("2026-01-01T00:00:00Z");
            for (int d = 0; d < DOMAINS; d++) {
                DomainRef domain = new DomainRef("domain-" + d, UUID.randomUUID());
                String domainXml = "<domain type='kvm'><name>" + domain.name() + "</name><uuid>" + domain.uuid()
                        + "</uuid><memory unit='KiB'>1048576</memory><vcpu>2</vcpu><os><type arch='x86_64'>hvm</type></os>"
                        + "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/"
                        + "libvirt/images/" + domain.name() + ".qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
                UUID parent = null;
                for (int i = 0; i < PER_DOMAIN; i++) {
                    UUID uuid = UUID.randomUUID();
                    Instant at = base.plusSeconds(3600L * (i + PER_DOMAIN * d));
                    Backup b = new Backup(uuid, domain, "", at, at.plusSeconds(60), parent,
                            parent == null ? BackupKind.FULL : BackupKind.INCREMENTAL, BackupMode.MANAGED, JobState.COMPLETED,
                            null, "", List.of(new BackupDisk("vda", BackupDisk.REPOSITORY, url, 4L << 30, 1L << 20)));
                    Manifest m = new Manifest(uuid, domain.uuid(), at, List.of(new Manifest.Disk("vda", 4L << 30, 1 << 20,
                            4096, "0".repeat(64))), xml.write(b, domainXml));
                    writes.add(threads.submit(() -> ManifestImport.put(repo, m)));
                    all.add(uuid);
                    parent = uuid;
                }
            }
            for (Future<?> f : writes) {
                f.get();
            }
        } finally {
            threads.shutdown();
        }
        return all;
    }
}
