package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreRequest;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.firmware.FirmwareRestore;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.jobs.JobTracker;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.qemu.QemuImg;

/**
 * Restores' failure paths with a qemu-img script standing in (convert copies the image, compare
 * answers as told): what a restore leaves when it is refused or fails, and what it never touches.
 */
class RestorerTest {

    @TempDir
    Path tmp;

    private BackupTrees trees;
    private Restorer restorer;
    private Path disk;
    private final ExecutorService background = Executors.newSingleThreadExecutor();

    @BeforeEach
    void setUp() throws IOException {
        trees = new BackupTrees(tmp);
        disk = tmp.resolve("vm.qcow2"); // the domain's disk, inside the restore root
        Files.writeString(disk, "the disk as it is now");
        Path program = tmp.resolve("qemu-img");
        Files.writeString(program, """
                #!/bin/sh
                dir=$(dirname "$0")
                echo "$@" >> "$dir/qemu-img.calls"
                for last in "$@"; do :; done
                case "$1" in
                  measure) echo '{"required": 4096, "fully-allocated": 4096}' ;;
                  convert) touch "$dir/convert.started"
                           while [ -e "$dir/convert.hold" ]; do sleep 0.05; done
                           shift $(($# - 2)); cp "$1" "$2" ;;
                  compare) exit $(cat "$dir/compare.exit" 2>/dev/null || echo 0) ;;
                  create) : > "$last" ;;
                esac
                exit 0
                """);
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        QemuImg qemuImg = new QemuImg(program.toString(), 1, Duration.ofSeconds(30));
        JobTracker jobs = new JobTracker(trees.catalogue, trees.storage, new Checkpoints(trees.libvirt, qemuImg),
                new Events(), FaultPoints.NONE);
        RestoreSource noRepository = (RestoreSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RestoreSource.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException("no repository backups here");
                });
        restorer = new Restorer(trees.libvirt, trees.catalogue, qemuImg, List.of(tmp), jobs, new CopyTracker(),
                new DomainLocks(), new InstantRestoreAccess(trees.catalogue, trees.storage, new InstantRestores(trees.libvirt)),
                FaultPoints.NONE, noRepository, new FirmwareRestore(tmp.resolve("swtpm")));
    }

    @AfterEach
    void stop() {
        background.shutdownNow();
    }

    private List<String> qemuImgCalls() throws IOException {
        Path calls = tmp.resolve("qemu-img.calls");
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private String backedUp(Backup b) throws IOException {
        return Files.readString(Path.of(b.disks().get(0).target()));
    }

    /** The hidden files a restore writes beside its targets (temporaries, disks moved aside). */
    private List<String> hiddenBesideTargets() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    @Test
    void twoRestoresNeverWriteOneFile() throws Exception {
        Backup b = trees.full();
        Path target = tmp.resolve("copy.qcow2");
        Files.createFile(tmp.resolve("convert.hold"));
        Future<?> first = background.submit(() -> restorer.restore(new RestoreRequest(b.uuid(), "copy-a",
                List.of(new RestoreRequest.Disk("vda", target.toString()))), Set.of(RestoreFlag.NEW_DOMAIN)));
        for (int i = 0; i < 200 && !Files.exists(tmp.resolve("convert.started")); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(tmp.resolve("convert.started")), "the first restore is copying");

        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            Future<?> second = other.submit(() -> restorer.restore(new RestoreRequest(b.uuid(), "copy-b",
                    List.of(new RestoreRequest.Disk("vda", target.toString()))), Set.of(RestoreFlag.NEW_DOMAIN)));
            ExecutionException refused;
            try {
                second.get(10, TimeUnit.SECONDS);
                throw new AssertionError("the second restore wrote the file the first is writing");
            } catch (ExecutionException e) {
                refused = e;
            } catch (TimeoutException e) {
                throw new AssertionError("the second restore is writing the first one's file too", e);
            }
            BackupException e = (BackupException) refused.getCause();
            assertEquals(ErrorCode.DOMAIN_BUSY, e.code());
            assertTrue(e.getMessage().contains("another restore is writing " + target), e.getMessage());
        } finally {
            other.shutdownNow();
            Files.delete(tmp.resolve("convert.hold"));
        }
        first.get(30, TimeUnit.SECONDS);
        assertEquals(backedUp(b), Files.readString(target));
        assertTrue(trees.libvirt.domains().stream().anyMatch(d -> d.name().equals("copy-a")));
    }

    @Test
    void aRestoreThatVerifyFindsDifferentLeavesTheDomainsDiskAsItWas() throws Exception {
        Backup b = trees.full();
        Files.writeString(tmp.resolve("compare.exit"), "1");
        BackupException e = assertThrows(BackupException.class, () -> restorer.restore(RestoreRequest.of(b.uuid()),
                Set.of(RestoreFlag.REWRITE_EXISTING_DISK, RestoreFlag.VERIFY)));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("differs from the backup point") && e.getMessage().contains("as they were"),
                e.getMessage());
        assertEquals("the disk as it is now", Files.readString(disk));
        assertEquals(List.of(), hiddenBesideTargets());
    }

    @Test
    void aRestoreThatVerifyFindsSameReplacesTheDisk() throws Exception {
        Backup b = trees.full();
        restorer.restore(RestoreRequest.of(b.uuid()), Set.of(RestoreFlag.REWRITE_EXISTING_DISK, RestoreFlag.VERIFY));
        assertEquals(backedUp(b), Files.readString(disk));
        assertEquals(List.of(), hiddenBesideTargets());
    }

    @Test
    void aNewDomainNamedAsAnExistingOneIsRefusedBeforeTheCopy() throws Exception {
        Backup b = trees.full();
        BackupException e = assertThrows(BackupException.class, () -> restorer.restore(
                new RestoreRequest(b.uuid(), "vm", List.of()), Set.of(RestoreFlag.NEW_DOMAIN)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("a domain named vm exists already"), e.getMessage());
        assertTrue(qemuImgCalls().stream().noneMatch(c -> c.startsWith("convert")), "" + qemuImgCalls());
        assertFalse(Files.exists(tmp.resolve("vm-vda.qcow2")));
    }

    @Test
    void aDefineThatFailsOtherwiseThanLibvirtSaysRemovesTheCopiedImages() throws Exception {
        Backup b = trees.full();
        trees.libvirt.defineFailure = new IllegalStateException("the firmware's directory could not be made");
        BackupException e = assertThrows(BackupException.class, () -> restorer.restore(
                new RestoreRequest(b.uuid(), "copy", List.of()), Set.of(RestoreFlag.NEW_DOMAIN)));
        assertTrue(e.getMessage().contains("defining the restored domain copy"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("copy-vda.qcow2")), "no full-size image left that nothing uses");
        assertEquals(List.of(), hiddenBesideTargets());
    }

    @Test
    void anInstantRestoreThatDoesNotStartKeepsTheRecordThatProtectsItsChain() throws Exception {
        Backup b = trees.full();
        trees.libvirt.startFailure = new BackupException(ErrorCode.LIBVIRT_ERROR, "network 'default' is not active");
        BackupException e = assertThrows(BackupException.class, () -> restorer.restore(
                new RestoreRequest(b.uuid(), "instant", List.of()),
                Set.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.INSTANT, RestoreFlag.START)));
        assertTrue(e.getMessage().contains("is restored and defined, but did not start"), e.getMessage());
        assertEquals(1, InstantRestores.of(trees.directory(b)).size(),
                "the domain reads the backup's chain: its record keeps the backup from a delete or merge");
        assertTrue(Files.exists(tmp.resolve("instant-vda.qcow2")), "the overlay is the domain's own");
    }

    @Test
    void anInstantRestoreWhoseRecordCannotBeWrittenKeepsNoDomainNorOverlay() throws Exception {
        Backup b = trees.full();
        // The record's temporary cannot be replaced: its write fails, as on a full or read-only disk.
        Files.createDirectories(trees.directory(b).resolve("." + InstantRestores.NAME + ".tmp").resolve("in-the-way"));
        BackupException e = assertThrows(BackupException.class, () -> restorer.restore(
                new RestoreRequest(b.uuid(), "instant", List.of()), Set.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.INSTANT)));
        assertEquals(ErrorCode.IO_ERROR, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("could not be written, so the domain is not kept"), e.getMessage());
        FakeDomain defined = (FakeDomain) trees.libvirt.domain("instant");
        assertTrue(defined.undefined, "unrecorded, its chain could be deleted under it");
        assertFalse(Files.exists(tmp.resolve("instant-vda.qcow2")), "no overlay left that nothing uses");
        assertEquals(List.of(), hiddenBesideTargets());
    }
}
