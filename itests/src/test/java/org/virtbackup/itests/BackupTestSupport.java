package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.junit.Before;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/** What the backup tests share: the service, the target directory, guests' scratch space, checks. */
public abstract class BackupTestSupport extends VirtBackupTestSupport {

    private final List<Path> scratch = new ArrayList<>();

    /** Restored images may go anywhere under the tests' scratch directory (guests' disks included). */
    @Override
    protected Option[] additionalOptions() {
        return new Option[] {editConfigurationFilePut("etc/org.virtbackup.cfg", "restore.roots",
                System.getProperty(ITEST_DIR, "/var/tmp/virt-backup-itest"))};
    }

    /** Tests never skip: without libvirtd they fail and say how to start it. */
    @Before
    public void requireLibvirt() {
        Guest.requireLibvirt();
    }

    protected BackupService backupService() {
        return service(BackupService.class, SERVICE_TIMEOUT_MS);
    }

    /** The files inside backups: listed and copied out. */
    protected BackupFiles backupFiles() {
        return service(BackupFiles.class, SERVICE_TIMEOUT_MS);
    }

    /** The default target of the configuration: {@code ${karaf.data}/virt-backup}. */
    protected Path targetRoot() {
        return Path.of(System.getProperty("karaf.data"), "virt-backup");
    }

    /** Where guests' disks and expected images go. */
    protected Path workDir() throws IOException {
        return Files.createDirectories(itestDir().resolve("guests"));
    }

    /** A fresh directory under the scratch space, removed after the test whatever its outcome. */
    protected Path scratchDir(String prefix) throws IOException {
        Path dir = Files.createDirectories(itestDir().resolve(prefix + "-" + UUID.randomUUID()));
        scratch.add(dir);
        return dir;
    }

    @org.junit.After
    public void removeScratch() {
        scratch.forEach(dir -> Cmd.run("rm", "-rf", dir.toString()));
        scratch.clear();
    }

    protected Bundle implementationBundle() {
        return bundle("virt-backup-impl");
    }

    /** Stops and starts the implementation bundle, as a platform updating it would. */
    protected void restartImplementation() throws BundleException {
        Bundle impl = implementationBundle();
        impl.stop();
        impl.start();
        backupService();
    }

    /** Every file and directory under a root (not the root), relative, sorted: to show what was written. */
    protected static List<String> filesUnder(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    /**
     * {@link #filesUnder(Path)} without entering one directory, whose running job renames files
     * in it meanwhile (a walk into it may find a file gone between listing and reading it).
     */
    protected static List<String> filesUnder(Path root, Path busy) throws IOException {
        List<String> found = new ArrayList<>();
        if (!Files.exists(root)) {
            return found;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                if (dir.equals(busy)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (!dir.equals(root)) {
                    found.add(root.relativize(dir).toString());
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                found.add(root.relativize(file).toString());
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(null);
        return found;
    }

    /** The processes (qemu-img copies) working on files in this directory. */
    protected static List<ProcessHandle> copiesOf(Path dir) {
        String prefix = dir.toString() + "/";
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> Stream.of(args).anyMatch(a -> a.startsWith(prefix)))
                        .orElse(false))
                .toList();
    }

    protected static void waitUntil(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + seconds + " s: " + what);
            }
            Thread.sleep(100);
        }
    }

    /**
     * Waits for a backup to be recorded failed (a provider binds and resumes on its own time) and
     * checks that its message gives the reason.
     */
    protected static Backup awaitFailed(BackupService service, UUID backup, String reason) throws InterruptedException {
        waitUntil("backup " + backup + " is recorded failed, " + reason, 60,
                () -> service.lookup(backup).orElseThrow().state() == JobState.FAILED);
        Backup failed = service.lookup(backup).orElseThrow();
        assertTrue(failed.message(), failed.message().contains(reason));
        return failed;
    }

    /** Asserts that libvirt runs no job on the domain. */
    protected static void assertNoLibvirtJob(String domain) {
        String info = Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", domain);
        assertTrue("libvirt still runs a job on " + domain + ":\n" + info, info.contains("None"));
    }

    protected static void assertIdentical(Path actual, Path expected) {
        Cmd.Result r = Images.compare(actual, expected);
        assertEquals("qemu-img compare " + actual + " " + expected + ":\n" + r.output(), 0, r.exitCode());
    }

    /** A completed backup of the guest; with a parent, an incremental on it. */
    protected static org.virtbackup.api.Backup backup(BackupService backups, Guest guest, UUID parent,
            Set<org.virtbackup.api.CreateFlag> flags) {
        String xml = parent == null ? null : "<domainbackup><parent><uuid>" + parent + "</uuid></parent></domainbackup>";
        org.virtbackup.api.Backup b = backups.create(guest.name(), xml, flags);
        assertEquals(org.virtbackup.api.JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
        return backups.lookup(b.uuid()).orElseThrow();
    }

    /** The image of a backup's first disk. */
    protected static Path image(org.virtbackup.api.Backup b) {
        return Path.of(b.disks().get(0).target());
    }

    /** Runs the call and returns the BackupException it must throw, with this code. */
    protected static BackupException expectError(ErrorCode code, Runnable call) {
        try {
            call.run();
        } catch (BackupException e) {
            assertEquals("error code of: " + e.getMessage(), code, e.code());
            return e;
        }
        throw new AssertionError("expected a BackupException " + code + ", got none");
    }
}
