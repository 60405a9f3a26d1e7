package org.virtbackup.impl.service;

import org.virtbackup.impl.repository.Repositories;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.Configurations;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.impl.fakes.FakeQemuImg;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.storage.DirectoryTarget;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobProgress;
import org.virtbackup.spi.JobResult;
import org.virtbackup.spi.JobSpec;
import org.virtbackup.spi.StorageTarget;

/**
 * The facade component open-box, as Declarative Services drives it (constructor, then the bind
 * methods of its dynamic references), with a fake libvirt and a provider whose jobs the test ends.
 */
class BackupServiceImplTest {

    @TempDir
    Path tmp;

    private FakeDomain domain;
    private ServiceWiring parts;
    private BackupServiceImpl service;
    private final ManualProvider provider = new ManualProvider();

    /** A provider whose jobs run until the test ends them; it writes each image as "copied". */
    static final class ManualProvider implements org.virtbackup.spi.BackupProvider {
        final List<JobSpec> started = new ArrayList<>();
        final List<JobSpec> resumed = new ArrayList<>();
        final List<CompletableFuture<JobResult>> results = new ArrayList<>();

        @Override
        public BackupJob start(JobSpec spec) {
            started.add(spec);
            return job(spec);
        }

        @Override
        public Optional<BackupJob> resume(JobSpec spec) {
            resumed.add(spec);
            return Optional.of(job(spec));
        }

        private BackupJob job(JobSpec spec) {
            CompletableFuture<JobResult> result = new CompletableFuture<>();
            results.add(result);
            return new BackupJob() {
                @Override
                public JobProgress progress() {
                    return new JobProgress(100, 25);
                }

                @Override
                public CompletionStage<JobResult> result() {
                    return result;
                }

                @Override
                public void cancel() {
                    result.complete(new JobResult(JobState.CANCELLED, "", spec.backup().disks()));
                }
            };
        }

        void complete(int job, JobSpec spec) throws Exception {
            for (var d : spec.backup().disks()) {
                Files.writeString(Path.of(d.target()), "copied");
            }
            results.get(job).complete(new JobResult(JobState.COMPLETED, "", spec.backup().disks()));
        }
    }

    @BeforeEach
    void activate() {
        FakeLibvirt libvirt = new FakeLibvirt();
        domain = libvirt.add(new FakeDomain("vm", tmp.resolve("vm.qcow2").toString()));
        new FakeQemuImg(tmp);
        parts = new ServiceWiring(libvirt, DirectoryTarget.at(tmp.resolve("backups"), FakeLibvirt.qemuAsRoot()), config(), new DomainLocks(),
                new Repositories(config()));
        service = new BackupServiceImpl(parts);
    }

    /** The facade activated again on the same libvirt and backups, as after an update of the implementation. */
    private BackupServiceImpl activatedAgain(VirtBackupConfig config, DomainLocks locks) {
        return new BackupServiceImpl(new ServiceWiring(parts.libvirt, DirectoryTarget.at(tmp.resolve("backups"),
                FakeLibvirt.qemuAsRoot()), config, locks, new Repositories(config)));
    }

    /** Every path inside the test's directory; qemu-img is the fake one. */
    private VirtBackupConfig config() {
        return Configurations.of(Map.of("target.directory", tmp.resolve("backups").toString(),
                "target.roots", tmp.resolve("targets").toString(), "restore.roots", tmp.resolve("restore").toString(),
                "qemu.img", tmp.resolve("qemu-img").toString(), "runtime.directory", tmp.resolve("run").toString()));
    }

    @AfterEach
    void deactivate() {
        service.deactivate();
    }

    private static Map<String, Object> managed() {
        return Map.of(org.virtbackup.spi.BackupProvider.MODE, "managed");
    }

    @Test
    void withoutAProviderABackupIsRefusedAndNothingIsWritten() {
        BackupException e = assertThrows(BackupException.class, () -> service.create("vm", (String) null, Set.of()));
        assertEquals(ErrorCode.NO_PROVIDER, e.code());
        assertTrue(service.list(null, Set.of()).isEmpty());
        assertFalse(Files.exists(tmp.resolve("backups").resolve(domain.ref().uuid().toString())));
    }

    @Test
    void aBackupIsRecordedRunningThenCompletedAndAnIncrementalBuildsOnIt() throws Exception {
        service.bindProvider(provider, managed());
        Backup full = service.create("vm", BackupRequest.allDisks(), Set.of());
        assertEquals(JobState.RUNNING, full.state());
        assertEquals(1, provider.started.size());
        assertEquals(25L, service.getParameters(full.uuid()).get(BackupParameters.BYTES_PROCESSED));
        assertEquals(ErrorCode.DOMAIN_BUSY, assertThrows(BackupException.class,
                () -> service.create("vm", BackupRequest.allDisks(), Set.of())).code());

        provider.complete(0, provider.started.get(0));
        assertEquals(JobState.COMPLETED, service.finishJob(full.uuid(), Set.of()));
        assertTrue(service.getXmlDesc(full.uuid(), Set.of()).contains("<state>completed</state>"));

        domain.checkpoints.add(full.checkpoint()); // libvirt's job made it
        domain.active = true;
        domain.blockNodes = "{\"return\":[{\"dirty-bitmaps\":[{\"name\":\"" + full.checkpoint()
                + "\",\"recording\":true}]}]}";
        Backup inc = service.create("vm", BackupRequest.allDisks(), Set.of(CreateFlag.INCREMENTAL));
        assertEquals(BackupKind.INCREMENTAL, inc.kind(), inc.message());
        assertEquals(full.uuid(), provider.started.get(1).parent().uuid());
        assertEquals(List.of(inc), service.listChildren(full.uuid(), Set.of()));
    }

    /**
     * A StorageTarget of another bundle is bound after activation (as Declarative Services binds
     * dynamic references): a restore cut short in one of its backups is undone then, the disk it
     * had moved aside put back, before anything else touches the domain.
     */
    @Test
    void aRestoreCutShortInABackupAnotherTargetBringsIsUndoneWhenTheTargetComes() throws Exception {
        service.bindProvider(provider, managed());
        Backup full = service.create("vm", BackupRequest.allDisks(), Set.of());
        provider.complete(0, provider.started.get(0));
        assertEquals(JobState.COMPLETED, service.finishJob(full.uuid(), Set.of()));
        service.deactivate();
        // The backup now lives in another kind of target, where a restore over the domain's disk was cut short.
        Path domainDir = tmp.resolve("backups").resolve(full.domain().uuid().toString());
        Path vault = Files.createDirectories(tmp.resolve("vault"));
        Files.move(domainDir, vault.resolve(domainDir.getFileName()));
        Path backupDir = vault.resolve(domainDir.getFileName()).resolve(full.uuid().toString());
        Path disk = tmp.resolve("vm.qcow2");
        Path parked = disk.resolveSibling("." + disk.getFileName() + ".before-restore");
        Files.writeString(parked, "the domain's own disk");
        Files.writeString(disk.resolveSibling("." + disk.getFileName() + ".restoring"), "half a copy");
        Files.writeString(backupDir.resolve("restore-" + java.util.UUID.randomUUID() + ".intent"), "target " + disk + "\n");

        service = activatedAgain(config(), new DomainLocks());
        service.bindTarget(DirectoryTarget.at(vault, FakeLibvirt.qemuAsRoot()), Map.of(StorageTarget.KIND, "vault"));

        assertEquals("the domain's own disk", Files.readString(disk), "the disk moved aside is back");
        assertFalse(Files.exists(parked));
        assertFalse(Files.exists(disk.resolveSibling("." + disk.getFileName() + ".restoring")));
        try (var records = Files.list(backupDir)) {
            assertTrue(records.noneMatch(f -> f.getFileName().toString().endsWith(".intent")), "the record is gone");
        }
        assertTrue(service.lookup(full.uuid()).isPresent());
    }

    @Test
    void aProviderThatComesBackTakesOverTheJobsLeftRunning() {
        service.bindProvider(provider, managed());
        Backup b = service.create("vm", BackupRequest.allDisks(), Set.of());
        service.unbindProvider(provider, managed());
        service.deactivate(); // the implementation is updated: its job goes on unwatched

        service = activatedAgain(config(), new DomainLocks());
        assertEquals(JobState.RUNNING, service.lookup(b.uuid()).orElseThrow().state());
        assertEquals(ErrorCode.NO_PROVIDER, assertThrows(BackupException.class,
                () -> service.finishJob(b.uuid(), Set.of())).code());
        ManualProvider next = new ManualProvider();
        service.bindProvider(next, managed());
        assertEquals(List.of(b.uuid()), next.resumed.stream().map(s -> s.backup().uuid()).toList());
        assertEquals(JobState.CANCELLED, service.finishJob(b.uuid(), Set.of(org.virtbackup.api.FinishJobFlag.CANCEL)));
        assertTrue(service.lookup(b.uuid()).isEmpty());
    }

    @Test
    void aJobWhoseDomainIsBusyWhenItsProviderComesBackIsResumedOnceTheDomainIsFree() throws Exception {
        service.bindProvider(provider, managed());
        Backup b = service.create("vm", BackupRequest.allDisks(), Set.of());
        service.unbindProvider(provider, managed());
        service.deactivate();

        DomainLocks locks = new DomainLocks();
        Map<String, Object> settings = new HashMap<>(Map.of("target.directory", tmp.resolve("backups").toString(),
                "qemu.img", tmp.resolve("qemu-img").toString(), "lock.wait.seconds", "1",
                "runtime.directory", tmp.resolve("run").toString()));
        service = activatedAgain(Configurations.of(settings), locks);
        ManualProvider next = new ManualProvider();
        // An operator's delete holds the domain, on its own thread, while the provider comes back.
        CompletableFuture<Void> release = new CompletableFuture<>();
        CompletableFuture<Void> held = new CompletableFuture<>();
        Thread operator = new Thread(() -> {
            try (DomainLocks.Held operation = locks.hold(b.domain(), DomainLocks.Access.EDIT, "an operator's delete")) {
                held.complete(null);
                release.join();
            }
        });
        operator.start();
        held.get();
        service.bindProvider(next, managed());
        assertTrue(next.resumed.isEmpty(), "not resumed while the domain is held");
        release.complete(null);
        operator.join();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3 * JobResumer.RETRY_SECONDS);
        while (next.resumed.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(List.of(b.uuid()), next.resumed.stream().map(s -> s.backup().uuid()).toList());
        assertEquals(JobState.CANCELLED, service.finishJob(b.uuid(), Set.of(org.virtbackup.api.FinishJobFlag.CANCEL)));
    }

    @Test
    void activationFinishesWhatWasCutShortOnEvidenceAndKeepsEverythingElse() throws Exception {
        service.bindProvider(provider, managed());
        Backup listed = service.create("vm", BackupRequest.allDisks(), Set.of());
        provider.complete(0, provider.started.get(0));
        assertEquals(JobState.COMPLETED, service.finishJob(listed.uuid(), Set.of()));
        Backup forgotten = service.create("vm", BackupRequest.allDisks(), Set.of(CreateFlag.INCREMENTAL));
        provider.complete(1, provider.started.get(1));
        service.finishJob(forgotten.uuid(), Set.of());
        service.delete(forgotten.uuid(), Set.of(org.virtbackup.api.DeleteFlag.METADATA_ONLY)); // its files are the user's
        Backup running = service.create("vm", BackupRequest.allDisks(), Set.of(CreateFlag.INCREMENTAL));
        service.unbindProvider(provider, managed());
        service.deactivate();

        Path domainDir = Path.of(listed.disks().get(0).target()).getParent().getParent();
        Path tornTemp = Files.writeString(domainDir.resolve(listed.uuid().toString()).resolve(".backup.xml.tmp"), "<half");
        Path journalTemp = Files.writeString(domainDir.resolve(running.uuid().toString()).resolve(".job.tmp"), "mid-write");
        UUID cutShort = UUID.randomUUID(); // started, never recorded
        Path cutShortDir = Files.createDirectories(domainDir.resolve(cutShort.toString()));
        Files.writeString(cutShortDir.resolve(".starting"), domain.ref.uuid() + "\n");
        UUID deleting = UUID.randomUUID(); // its descriptor went, the rest did not
        Path deletingDir = Files.createDirectories(domainDir.resolve(deleting.toString()));
        Files.writeString(deletingDir.resolve(".deleting"), domain.ref.uuid() + "\n");
        Files.writeString(deletingDir.resolve("vda.qcow2"), "image");
        Path unreadableDir = Files.createDirectories(domainDir.resolve(UUID.randomUUID().toString()));
        Files.writeString(unreadableDir.resolve("backup.xml"), "<not a descriptor");
        UUID elsewhere = UUID.randomUUID(); // another installation's, on a shared libvirtd
        domain.active = true;
        domain.checkpoints.addAll(List.of(listed.checkpoint(), running.checkpoint(), forgotten.checkpoint(),
                "vb-" + cutShort, "vb-" + deleting, "vb-" + elsewhere));
        Path run = Files.createDirectories(tmp.resolve("run"));
        Path runningSocket = Files.createFile(run.resolve(running.uuid() + ".sock"));
        Path staleSocket = Files.createFile(run.resolve(UUID.randomUUID() + ".sock"));

        service = activatedAgain(config(), new DomainLocks());

        assertFalse(Files.exists(cutShortDir), "a start cut short before its record goes");
        assertFalse(Files.exists(deletingDir), "a deletion cut short after its descriptor is finished");
        assertEquals(List.of("vb-" + deleting), domain.deletedCheckpoints, "a deletion's checkpoint only (a start made none)");
        assertTrue(Files.exists(Path.of(forgotten.disks().get(0).target())), "METADATA_ONLY left the files: they stay");
        assertTrue(Files.exists(unreadableDir.resolve("backup.xml")), "an unreadable descriptor is kept for a human");
        assertFalse(Files.exists(tornTemp), "a torn temporary of a backup at rest goes");
        assertTrue(Files.exists(journalTemp), "a running job's journal may be mid-write");
        assertTrue(Files.exists(Path.of(listed.disks().get(0).target())));
        assertEquals(JobState.COMPLETED, service.lookup(listed.uuid()).orElseThrow().state());
        assertTrue(Files.exists(runningSocket), "a running backup's socket stays");
        assertFalse(Files.exists(staleSocket));
    }

    @Test
    void aStaleMarkIsClearedSoThatForgettingTheBackupLaterKeepsItsFiles() throws Exception {
        service.bindProvider(provider, managed());
        Backup b = service.create("vm", BackupRequest.allDisks(), Set.of());
        provider.complete(0, provider.started.get(0));
        service.finishJob(b.uuid(), Set.of());
        Path dir = Path.of(b.disks().get(0).target()).getParent();
        // A deletion that marked the directory, then failed to delete the descriptor: still listed.
        Files.writeString(dir.resolve(".deleting"), domain.ref.uuid() + "\n");
        service.unbindProvider(provider, managed());
        service.deactivate();
        service = activatedAgain(config(), new DomainLocks());
        assertFalse(Files.exists(dir.resolve(".deleting")), "stale beside its descriptor: cleared");

        service.delete(b.uuid(), Set.of(org.virtbackup.api.DeleteFlag.METADATA_ONLY));
        service.deactivate();
        service = activatedAgain(config(), new DomainLocks());
        assertTrue(Files.exists(Path.of(b.disks().get(0).target())), "forgotten on purpose: the files stay");
    }

    @Test
    void aDeletionMarksItsDirectoryBeforeItsDescriptorGoes() throws Exception {
        service.bindProvider(provider, managed());
        Backup b = service.create("vm", BackupRequest.allDisks(), Set.of());
        provider.complete(0, provider.started.get(0));
        service.finishJob(b.uuid(), Set.of());
        Path dir = Path.of(b.disks().get(0).target()).getParent();
        assertFalse(Files.exists(dir.resolve(".starting")), "a recorded backup carries no start mark");
        service.delete(b.uuid(), Set.of());
        assertFalse(Files.exists(dir), "a finished deletion leaves nothing, its mark with the rest");
    }

    @Test
    void refusedInputWritesNothing() {
        service.bindProvider(provider, managed());
        BackupException longText = assertThrows(BackupException.class, () -> service.create("vm",
                new BackupRequest(null, "x".repeat(16 << 20), null, List.of()), Set.of()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, longText.code());
        String big = "<domainbackup><description>" + "x".repeat(1 << 20) + "</description></domainbackup>";
        BackupException bigXml = assertThrows(BackupException.class, () -> service.create("vm", big, Set.of()));
        assertTrue(bigXml.getMessage().contains("xml.max.bytes"), bigXml.getMessage());
        assertTrue(provider.started.isEmpty());
        assertTrue(service.list(null, Set.of()).isEmpty());
        assertFalse(Files.exists(tmp.resolve("backups").resolve(domain.ref().uuid().toString())));
    }

    @Test
    void theTypedTargetTwinSetsAndClears() {
        Path own = tmp.resolve("targets").resolve("vm");
        service.setDefaultTarget("vm", BackupTarget.directory(own.toString()), Set.of());
        assertEquals(Optional.of("<target type='dir'><path>" + own + "</path></target>"), service.getDefaultTarget("vm"));
        service.setDefaultTarget("vm", (String) null, Set.of());
        assertTrue(service.getDefaultTarget("vm").isEmpty());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> service.setDefaultTarget("vm", (BackupTarget) null, Set.of())).code());
    }
}
