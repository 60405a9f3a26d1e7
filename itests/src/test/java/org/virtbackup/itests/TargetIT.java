package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ModifyFlag;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.VaultTarget;
import org.virtbackup.spi.StorageTarget;
import org.osgi.framework.ServiceRegistration;

/**
 * Targets: where a domain's backups go (a directory, a pool, a StorageTarget service of another
 * bundle), kept across restarts, and refused when bad; where one disk's image goes (a per-disk
 * target: a file, a pool's volume).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class TargetIT extends BackupTestSupport {

    @Override
    protected Option[] additionalOptions() {
        List<Option> options = new ArrayList<>(List.of(super.additionalOptions()));
        options.add(editConfigurationFilePut("etc/org.virtbackup.cfg", "target.roots",
                System.getProperty(ITEST_DIR, "/var/tmp/virt-backup-itest")));
        return options.toArray(new Option[0]);
    }

    @Test
    public void aDomainsBackupsGoWhereItsTargetSaysAcrossRestarts() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-target", 16 * MiB)) {
            guest.write(0, 0x21, 0, 2 * MiB);
            Path dir = scratchDir("target").resolve("web");
            String xml = "<target type='dir'><path>" + dir + "</path></target>";

            backups.setDefaultTarget(guest.name(), xml, EnumSet.of(ModifyFlag.VALIDATE_ONLY));
            assertEquals("VALIDATE_ONLY stores nothing", Optional.empty(), backups.getDefaultTarget(guest.name()));
            backups.setDefaultTarget(guest.name(), xml, Set.of());
            assertTrue(backups.getDefaultTarget(guest.name()).orElseThrow().contains("<path>" + dir + "</path>"));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));

            Backup there = backup(backups, guest);
            assertTrue(there.disks().get(0).target(), there.disks().get(0).target().startsWith(dir + "/"));

            restartImplementation();
            backups = backupService();
            assertTrue("the setting outlives a restart", backups.getDefaultTarget(guest.name()).isPresent());
            assertEquals(JobState.COMPLETED, backups.lookup(there.uuid()).orElseThrow().state());

            backups.setDefaultTarget(guest.name(), "", Set.of());
            assertEquals(Optional.empty(), backups.getDefaultTarget(guest.name()));
            Backup global = backup(backups, guest);
            assertTrue(global.disks().get(0).target(), global.disks().get(0).target().startsWith(targetRoot() + "/"));

            restartImplementation();
            backups = backupService();
            assertTrue("a backup in a directory no longer set is still found",
                    backups.lookup(there.uuid()).isPresent());
            backups.delete(there.uuid(), Set.of());
            assertEquals("nothing of it stays", List.of(), filesUnder(dir));
            backups.delete(global.uuid(), Set.of());
        }
    }

    @Test
    public void aStoragePoolHoldsTheImagesAsVolumes() throws Exception {
        BackupService backups = backupService();
        String pool = "it-pool-" + UUID.randomUUID().toString().substring(0, 8);
        String idle = pool + "-idle";
        Path poolDir = scratchDir("pool");
        Cmd.ok("virsh", "-c", Guest.URI, "pool-create-as", pool, "dir", "--target", poolDir.toString());
        Cmd.ok("virsh", "-c", Guest.URI, "pool-define-as", idle, "dir", "--target", scratchDir("idle").toString());
        try (Guest guest = Guest.start(workDir(), "it-pool", 32 * MiB)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), 32 * MiB);
            write(guest, expected, 0x31, 1 * MiB, 3 * MiB);
            String idleRefused = expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='pool'><pool>" + idle + "</pool></target>", Set.of())).getMessage();
            assertTrue(idleRefused, idleRefused.contains("not active"));

            backups.setDefaultTarget(guest.name(), "<target type='pool'><pool>" + pool + "</pool></target>", Set.of());
            assertTrue(backups.getDefaultTarget(guest.name()).orElseThrow().contains("<pool>" + pool + "</pool>"));
            Backup full = backup(backups, guest);
            Path fullImage = Path.of(full.disks().get(0).target());
            assertEquals(poolDir, fullImage.getParent());
            assertTrue(volumes(pool).contains(full.uuid() + "-vda.qcow2"));
            assertIdentical(fullImage, expected);

            write(guest, expected, 0x32, 8 * MiB, 1 * MiB);
            Backup inc = backups.create(guest.name(), "<domainbackup><parent><uuid>" + full.uuid()
                    + "</uuid></parent></domainbackup>", Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(inc.uuid(), Set.of()));
            Path incImage = Path.of(backups.lookup(inc.uuid()).orElseThrow().disks().get(0).target());
            assertEquals(poolDir, incImage.getParent());
            assertIdentical(incImage, expected);
            Path restored = scratchDir("pool-restore").resolve("vda.qcow2");
            backups.restore("<domainbackup><uuid>" + inc.uuid() + "</uuid><disks><disk name='vda'><target file='"
                    + restored + "'/></disk></disks></domainbackup>", Set.of());
            assertIdentical(restored, expected);
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(incImage)));

            backups.delete(full.uuid(), EnumSet.of(org.virtbackup.api.DeleteFlag.ALL_CHILDREN));
            assertFalse("the volumes are deleted through libvirt", volumes(pool).contains(full.uuid() + "-vda.qcow2")
                    || volumes(pool).contains(inc.uuid() + "-vda.qcow2"));
            assertEquals(List.of(), filesUnder(poolDir));
            backups.setDefaultTarget(guest.name(), (String) null, Set.of());
        } finally {
            Cmd.run("virsh", "-c", Guest.URI, "pool-destroy", pool);
            Cmd.run("virsh", "-c", Guest.URI, "pool-undefine", idle);
        }
    }

    @Test
    public void aStorageTargetServiceOfAnotherBundleAddsAKind() throws Exception {
        BackupService backups = backupService();
        String kindXml = "<target type='it-vault'/>";
        try (Guest guest = Guest.start(workDir(), "it-vault", 32 * MiB)) {
            String unknown = expectError(ErrorCode.INVALID_TARGET,
                    () -> backups.setDefaultTarget(guest.name(), kindXml, Set.of())).getMessage();
            assertTrue(unknown, unknown.contains("no StorageTarget service of kind 'it-vault'"));

            Path root = scratchDir("vault");
            VaultTarget vault = new VaultTarget(root);
            ServiceRegistration<StorageTarget> reg = register(vault);
            Backup full;
            Backup inc;
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), 32 * MiB);
            try {
                backups.setDefaultTarget(guest.name(), kindXml, Set.of());
                assertEquals(Optional.of(kindXml), backups.getDefaultTarget(guest.name()));
                write(guest, expected, 0x41, 0, 3 * MiB);
                full = backup(backups, guest);
                assertEquals(root.resolve(full.uuid().toString()), Path.of(full.disks().get(0).target()).getParent());
                assertIdentical(Path.of(full.disks().get(0).target()), expected);
                write(guest, expected, 0x42, 2 * MiB, 2 * MiB);
                inc = backups.create(guest.name(), "<domainbackup><parent><uuid>" + full.uuid()
                        + "</uuid></parent></domainbackup>", Set.of());
                assertEquals(JobState.COMPLETED, backups.finishJob(inc.uuid(), Set.of()));
                Path restored = scratchDir("vault-restore").resolve("vda.qcow2");
                backups.restore("<domainbackup><uuid>" + inc.uuid() + "</uuid><disks><disk name='vda'><target file='"
                        + restored + "'/></disk></disks></domainbackup>", Set.of());
                assertIdentical(restored, expected);

                vault.space(1 * MiB);
                List<String> before = filesUnder(root);
                String noSpace = expectError(ErrorCode.NO_SPACE, () -> backups.create(guest.name(),
                        (String) null, EnumSet.of(org.virtbackup.api.CreateFlag.FORCE_FULL))).getMessage();
                assertTrue(noSpace, noSpace.contains(MiB + " bytes free"));
                assertEquals("nothing half-written", before, filesUnder(root));
                vault.space(Long.MAX_VALUE);
            } finally {
                reg.unregister();
            }
            String gone = expectError(ErrorCode.INVALID_TARGET, () -> backups.create(guest.name(), (String) null,
                    Set.of())).getMessage();
            assertTrue(gone, gone.contains("kind 'it-vault'"));

            restartImplementation();
            BackupService restarted = backupService();
            assertTrue("without its service, the vault's backups are not in the catalogue",
                    restarted.lookup(full.uuid()).isEmpty());
            VaultTarget again = new VaultTarget(root);
            reg = register(again);
            try {
                waitUntil("the vault's backups joined the catalogue", 10, () -> restarted.lookup(inc.uuid()).isPresent());
                assertEquals(full.uuid(), restarted.lookup(inc.uuid()).orElseThrow().parent());
                restarted.delete(full.uuid(), EnumSet.of(org.virtbackup.api.DeleteFlag.ALL_CHILDREN));
                assertEquals("both removed through the service", 2, again.removed());
                assertEquals(List.of(), filesUnder(root));
                restarted.setDefaultTarget(guest.name(), (String) null, Set.of());
            } finally {
                reg.unregister();
            }
        }
    }

    private ServiceRegistration<StorageTarget> register(StorageTarget target) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(StorageTarget.KIND, "it-vault");
        return bundleContext.registerService(StorageTarget.class, target, props);
    }

    @Test
    public void aTargetThatCannotBeWrittenIsRefusedWhenSetAndWhenUsed() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-rotarget", 16 * MiB)) {
            guest.write(0, 0x23, 0, 2 * MiB);
            // A read-only mount: as root, file permissions would not stop a write.
            Path ro = scratchDir("ro");
            Cmd.ok("mount", "-t", "tmpfs", "-o", "ro,size=64m", "tmpfs", ro.toString());
            try {
                String refused = expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                        "<target type='dir'><path>" + ro.resolve("b") + "</path></target>", Set.of())).getMessage();
                assertTrue(refused, refused.contains("cannot write in " + ro.resolve("b")));
                assertEquals(Optional.empty(), backups.getDefaultTarget(guest.name()));

                Cmd.ok("mount", "-o", "remount,rw", ro.toString());
                backups.setDefaultTarget(guest.name(), "<target type='dir'><path>" + ro.resolve("b") + "</path></target>",
                        Set.of());
                Cmd.ok("mount", "-o", "remount,ro", ro.toString());
                int known = backups.list(guest.name(), Set.of()).size();
                String used = expectError(ErrorCode.INVALID_TARGET, () -> backups.create(guest.name(), (String) null,
                        Set.of())).getMessage();
                assertTrue(used, used.contains("cannot write in " + ro.resolve("b")));
                assertEquals("nothing recorded", known, backups.list(guest.name(), Set.of()).size());
                assertEquals(List.of(), filesUnder(ro.resolve("b")));
                backups.setDefaultTarget(guest.name(), (String) null, Set.of());
            } finally {
                Cmd.run("umount", ro.toString());
            }
        }
    }

    @Test
    public void badTargetsAreRefusedWithTheReason() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-badtarget", 64 * MiB)) {
            guest.write(0, 0x22, 0, 8 * MiB);
            String outside = expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='dir'><path>/srv/elsewhere</path></target>", Set.of())).getMessage();
            assertTrue(outside, outside.contains("outside the allowed target roots"));
            expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='dir'><path>" + itestDir() + "/../../etc/vb</path></target>", Set.of()));
            assertFalse(Files.exists(itestDir().resolve("../../etc/vb").normalize()));
            Path file = Files.writeString(scratchDir("file").resolve("plain"), "x");
            expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='dir'><path>" + file + "</path></target>", Set.of()));
            expectError(ErrorCode.INVALID_XML, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='tape'><path>/x</path></target>", Set.of()));
            expectError(ErrorCode.INVALID_XML, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='../x'/>", Set.of()));
            expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    "<target type='pool'><pool>no-such-pool-here</pool></target>", Set.of()));

            Path tiny = scratchDir("tiny");
            Cmd.ok("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny.toString());
            try {
                String full = expectError(ErrorCode.NO_SPACE, () -> backups.setDefaultTarget(guest.name(),
                        "<target type='dir'><path>" + tiny.resolve("b") + "</path></target>", Set.of())).getMessage();
                assertTrue(full, full.contains("bytes free"));
            } finally {
                Cmd.ok("umount", tiny.toString());
            }
            assertEquals("nothing was set", Optional.empty(), backups.getDefaultTarget(guest.name()));
        }
    }

    @Test
    public void theShellShowsAndSetsTheTarget() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-shell-target", 16 * MiB)) {
            assertTrue(executeCommand("backup:target " + guest.name()).contains("global target"));
            Path dir = scratchDir("shell-target").resolve("d");
            assertTrue(executeCommand("backup:target " + guest.name() + " " + dir).contains("<path>" + dir + "</path>"));
            assertTrue(executeCommand("backup:target --clear " + guest.name()).contains("global target"));
            AssertionError noPool = org.junit.Assert.assertThrows(AssertionError.class,
                    () -> executeCommand("backup:target --check --pool no-such-pool " + guest.name()));
            assertTrue(noPool.getMessage(), noPool.getMessage().contains("no storage pool 'no-such-pool'"));
        }
    }

    @Test
    public void perDiskTargetsPutEachDiskWhereTheXmlSaysThroughAChainAndGoWithIt() throws Exception {
        BackupService backups = backupService();
        String pool = "it-disk-pool-" + UUID.randomUUID().toString().substring(0, 8);
        Path poolDir = scratchDir("disk-pool");
        Cmd.ok("virsh", "-c", Guest.URI, "pool-create-as", pool, "dir", "--target", poolDir.toString());
        try (Guest guest = Guest.start(workDir(), "it-disktarget", 16 * MiB, 16 * MiB)) {
            Path vda = Images.create(guest.workDir().resolve("expected-vda.qcow2"), 16 * MiB);
            Path vdb = Images.create(guest.workDir().resolve("expected-vdb.qcow2"), 16 * MiB);
            write(guest, 0, vda, 0x51, 0, 2 * MiB);
            write(guest, 1, vdb, 0x52, 4 * MiB, 2 * MiB);
            Path placed = scratchDir("placed");
            // libvirt's own words, as virsh backup-begin takes them
            Backup full = backups.create(guest.name(), "<domainbackup mode='push'><disks>"
                    + "<disk name='vda' type='file'><target file='" + placed.resolve("vda-full.qcow2") + "'/>"
                    + "<driver type='qcow2'/></disk>"
                    + "<disk name='vdb'><target pool='" + pool + "' volume='it-vdb-full.qcow2'/></disk>"
                    + "</disks></domainbackup>", Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(full.uuid(), Set.of()));
            Backup fullDone = backups.lookup(full.uuid()).orElseThrow();
            assertEquals(placed.resolve("vda-full.qcow2").toString(), fullDone.disks().get(0).target());
            assertEquals(poolDir.resolve("it-vdb-full.qcow2").toString(), fullDone.disks().get(1).target());
            assertTrue(volumes(pool).contains("it-vdb-full.qcow2"));
            assertIdentical(placed.resolve("vda-full.qcow2"), vda);
            assertIdentical(poolDir.resolve("it-vdb-full.qcow2"), vdb);
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(placed.resolve("vda-full.qcow2"))));

            // The running guest's incremental is written by QEMU itself (push mode), as libvirt-qemu.
            write(guest, 0, vda, 0x53, 8 * MiB, 1 * MiB);
            write(guest, 1, vdb, 0x54, 0, 1 * MiB);
            Backup inc = backups.create(guest.name(), "<domainbackup><incremental>vb-" + full.uuid()
                    + "</incremental><disks><disk name='vda' backupmode='incremental'><target file='"
                    + placed.resolve("vda-inc.qcow2") + "'/></disk><disk name='vdb'/></disks></domainbackup>", Set.of());
            assertEquals(full.uuid(), inc.parent());
            assertEquals(JobState.COMPLETED, backups.finishJob(inc.uuid(), Set.of()));
            Backup incDone = backups.lookup(inc.uuid()).orElseThrow();
            assertEquals(placed.resolve("vda-inc.qcow2").toString(), incDone.disks().get(0).target());
            assertTrue("vdb went to the domain's target", incDone.disks().get(1).target().startsWith(targetRoot() + "/"));
            assertIdentical(placed.resolve("vda-inc.qcow2"), vda);
            assertIdentical(Path.of(incDone.disks().get(1).target()), vdb);

            List<String> before = filesUnder(placed);
            int known = backups.list(guest.name(), Set.of()).size();
            String taken = expectError(ErrorCode.INVALID_TARGET, () -> backups.create(guest.name(), "<domainbackup>"
                    + "<disks><disk name='vda'><target file='" + placed.resolve("vda-full.qcow2") + "'/></disk>"
                    + "</disks></domainbackup>", Set.of())).getMessage();
            assertTrue(taken, taken.contains("exists; a backup never writes over a file"));
            String outside = expectError(ErrorCode.INVALID_TARGET, () -> backups.create(guest.name(), "<domainbackup>"
                    + "<disks><disk name='vda'><target file='/proc/vb-vda.qcow2'/></disk></disks></domainbackup>",
                    Set.of())).getMessage();
            assertTrue(outside, outside.contains("not inside the target roots"));
            // Both pass the checks; the second image cannot be made once the first is: the first goes again.
            String twice = expectError(ErrorCode.INVALID_TARGET, () -> backups.create(guest.name(), "<domainbackup>"
                    + "<disks><disk name='vda'><target file='" + placed.resolve("both.qcow2") + "'/></disk>"
                    + "<disk name='vdb'><target file='" + placed.resolve("both.qcow2") + "'/></disk></disks>"
                    + "</domainbackup>", Set.of())).getMessage();
            assertTrue(twice, twice.contains("disk vdb") && twice.contains("exists"));
            String raw = expectError(ErrorCode.NOT_SUPPORTED, () -> backups.create(guest.name(), "<domainbackup>"
                    + "<disks><disk name='vda'><driver type='raw'/></disk></disks></domainbackup>", Set.of()))
                    .getMessage();
            assertTrue(raw, raw.contains("<driver type='raw'>"));
            assertEquals("nothing half-written", before, filesUnder(placed));
            assertEquals("nothing recorded", known, backups.list(guest.name(), Set.of()).size());

            Path restored = scratchDir("disk-restore").resolve("vda.qcow2");
            backups.restore("<domainbackup><uuid>" + inc.uuid() + "</uuid><disks><disk name='vda'><target file='"
                    + restored + "'/></disk></disks></domainbackup>", Set.of());
            assertIdentical(restored, vda);

            backups.delete(full.uuid(), EnumSet.of(org.virtbackup.api.DeleteFlag.MERGE));
            assertFalse("the merged full's placed file went", Files.exists(placed.resolve("vda-full.qcow2")));
            assertFalse("and its volume, through libvirt", volumes(pool).contains("it-vdb-full.qcow2"));
            assertIdentical(placed.resolve("vda-inc.qcow2"), vda);
            backups.delete(inc.uuid(), Set.of());
            assertEquals("nothing of the chain stays where it was placed", List.of(), filesUnder(placed));
        } finally {
            Cmd.run("virsh", "-c", Guest.URI, "pool-destroy", pool);
        }
    }

    private static void write(Guest guest, int disk, Path expected, int pattern, long offset, long length)
            throws Exception {
        guest.write(disk, pattern, offset, length);
        Images.write(expected, pattern, offset, length);
    }

    private static List<String> volumes(String pool) {
        // virsh 9.0's vol-list has no --name: a table "Name Path", a rule, then one volume per line.
        return Cmd.ok("virsh", "-c", Guest.URI, "vol-list", pool).lines().skip(2).map(String::strip)
                .filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")[0]).toList();
    }

    private static void write(Guest guest, Path expected, int pattern, long offset, long length) throws Exception {
        guest.write(0, pattern, offset, length);
        Images.write(expected, pattern, offset, length);
    }

    private static Backup backup(BackupService backups, Guest guest) {
        Backup b = backups.create(guest.name(), (String) null, Set.of());
        assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
        return backups.lookup(b.uuid()).orElseThrow();
    }
}
