package org.virtbackup.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.itests.support.Acls;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/** Restores of real backups: the restored bytes equal the disk at the backup's moment. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RestoreIT extends BackupTestSupport {

    private static final long SIZE = 64 * MiB;

    @Test
    public void anyPointOfAChainRestoresIntoImagesAndIntoANewDomain() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-restore", SIZE)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), SIZE);
            List<Backup> chain = new ArrayList<>();
            List<Path> points = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                write(guest, expected, 0x40 + i, i * 8 * MiB, 4 * MiB);
                if (i > 0) {
                    write(guest, expected, 0x90 + i, (i - 1) * 8 * MiB + MiB, MiB); // overwrite
                }
                String xml = i == 0 ? null
                        : "<domainbackup><parent><uuid>" + chain.get(i - 1).uuid() + "</uuid></parent></domainbackup>";
                Backup b = backups.create(guest.name(), xml, Set.of());
                assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
                chain.add(b);
                points.add(Files.copy(expected, guest.workDir().resolve("point-" + i + ".qcow2")));
            }
            write(guest, expected, 0xee, 0, SIZE / 2); // after the last backup: in no restore

            Path out = scratchDir("restore");
            for (int i : new int[] {0, 3, 5}) {
                Path target = out.resolve("point-" + i + ".qcow2");
                RestoreResult r = backups.restore("<domainbackup><uuid>" + chain.get(i).uuid()
                        + "</uuid><disks><disk name='vda'><target file='" + target + "'/></disk></disks></domainbackup>",
                        EnumSet.of(RestoreFlag.VERIFY));
                assertEquals(null, r.domain());
                assertEquals(Boolean.TRUE, r.disks().get(0).verified());
                assertIdentical(target, points.get(i));
                assertEquals("rw-------", PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(target)));
            }

            // A new domain from the middle of the chain, started.
            String name = "it-restored-" + UUID.randomUUID().toString().substring(0, 8);
            RestoreResult r = backups.restore("<domainbackup><uuid>" + chain.get(4).uuid() + "</uuid><domainName>" + name
                    + "</domainName><disks><disk name='vda'><target file='" + out.resolve(name + ".qcow2")
                    + "'/></disk></disks></domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.START));
            try {
                assertNotNull(r.domain());
                assertEquals(name, r.domain().name());
                assertNotEquals(backups.getDomain(chain.get(4).uuid()).uuid(), r.domain().uuid());
                assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domstate", name).contains("running"));
                String xml = Cmd.ok("virsh", "-c", Guest.URI, "dumpxml", name);
                assertTrue(xml, xml.contains(out.resolve(name + ".qcow2").toString()));
                assertFalse("the new domain shares no image with the old one", xml.contains(guest.disk(0).toString()));
                Cmd.ok("virsh", "-c", Guest.URI, "destroy", name);
                assertIdentical(out.resolve(name + ".qcow2"), points.get(4));
            } finally {
                Cmd.run("virsh", "-c", Guest.URI, "destroy", name);
                Cmd.run("virsh", "-c", Guest.URI, "undefine", name);
            }
            // Instant: a thin overlay on the chain, running at once; the chain must stay meanwhile.
            String instant = "it-instant-" + UUID.randomUUID().toString().substring(0, 8);
            Path overlay = out.resolve(instant + ".qcow2");
            RestoreResult quick = backups.restore("<domainbackup><uuid>" + chain.get(5).uuid() + "</uuid><domainName>"
                    + instant + "</domainName><disks><disk name='vda'><target file='" + overlay + "'/></disk></disks>"
                    + "</domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.INSTANT, RestoreFlag.START));
            try {
                assertEquals(instant, quick.domain().name());
                assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domstate", instant).contains("running"));
                assertTrue("an overlay, not a copy: " + Files.size(overlay), Files.size(overlay) < 2 * MiB);
                BackupException held = expectError(ErrorCode.INVALID_STATE,
                        () -> backups.delete(chain.get(0).uuid(), EnumSet.of(DeleteFlag.ALL_CHILDREN)));
                assertTrue(held.getMessage(), held.getMessage().contains(instant));
                expectError(ErrorCode.INVALID_STATE, () -> backups.delete(chain.get(5).uuid(), EnumSet.of(DeleteFlag.MERGE)));
                // QEMU (libvirt-qemu) reads the chain through directories opened to it alone, while it must.
                assertEquals("libvirt-qemu", Guest.qemuUserOf(instant));
                for (Backup b : chain) {
                    Path dir = Path.of(b.disks().get(0).target()).getParent();
                    assertEquals(dir.toString(), List.of("user:libvirt-qemu:--x"), Acls.named(dir));
                }
                Cmd.ok("virsh", "-c", Guest.URI, "destroy", instant);
                assertIdentical(overlay, points.get(5));
            } finally {
                Cmd.run("virsh", "-c", Guest.URI, "destroy", instant);
                Cmd.run("virsh", "-c", Guest.URI, "undefine", instant);
            }
            // The domain gone, QEMU's way into the chain goes too: the backups are root's alone again.
            waitUntil("QEMU's access to the chain is taken back", 30, () -> chain.stream()
                    .allMatch(b -> Acls.named(Path.of(b.disks().get(0).target()).getParent()).isEmpty()));
            for (Backup b : chain) {
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                        Path.of(b.disks().get(0).target()).getParent())));
            }
            // Without the domain, nothing holds the chain any more.
            backups.delete(chain.get(0).uuid(), EnumSet.of(DeleteFlag.ALL_CHILDREN));
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
        }
    }

    @Test
    public void rewritingTheDisksOfTheShutOffDomainKeepsItsDefinition() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-rewrite", 32 * MiB)) {
            guest.write(0, 0x5a, 0, 4 * MiB);
            Backup b = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
            guest.write(0, 0xa5, 0, 8 * MiB);
            String restoreXml = "<domainbackup><uuid>" + b.uuid() + "</uuid></domainbackup>";

            expectError(ErrorCode.INVALID_STATE, () -> backups.restore(restoreXml, EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK)));
            guest.shutOff();
            String uuidBefore = Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip();
            expectError(ErrorCode.INVALID_TARGET, () -> backups.restore(restoreXml, Set.of())); // the disk exists

            RestoreResult r = backups.restore(restoreXml, EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK, RestoreFlag.VERIFY));
            assertEquals(guest.name(), r.domain().name());
            assertEquals(Boolean.TRUE, r.disks().get(0).verified());
            assertEquals(uuidBefore, Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip());
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), 32 * MiB);
            Images.write(expected, 0x5a, 0, 4 * MiB);
            assertIdentical(guest.disk(0), expected);
            guest.startIt(); // the rewritten disk boots as the domain's own
            backups.delete(b.uuid(), Set.of());
        }
    }

    @Test
    public void aUefiGuestsNvramAndTpmStateAreKeptAndEachRestoredDomainGetsItsOwn() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.startUefiWithTpm(workDir(), "it-uefi", 16 * MiB)) {
            guest.write(0, 0x5a, 0, 2 * MiB);
            guest.shutOff(); // libvirt made the NVRAM from OVMF's template, swtpm its state, at the start
            Path nvram = guest.workDir().resolve(guest.name() + "_VARS.fd");
            String uuid = Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip();
            Path tpm = Path.of("/var/lib/libvirt/swtpm", uuid, "tpm2", "tpm2-00.permall");
            assertTrue("libvirt made " + nvram, Files.isRegularFile(nvram));
            assertTrue("swtpm made " + tpm, Files.isRegularFile(tpm));
            // Firmware state as a guest leaves it: variables and TPM state unlike the templates'.
            byte[] nvramAtBackup = Files.readAllBytes(nvram);
            nvramAtBackup[nvramAtBackup.length - 5] ^= 0x5a;
            Files.write(nvram, nvramAtBackup);
            byte[] tpmAtBackup = Files.readAllBytes(tpm);

            Backup b = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
            Backup done = backups.lookup(b.uuid()).orElseThrow();
            assertEquals(List.of("nvram", "tpm"), done.firmware().stream().map(f -> f.kind()).toList());
            String xml = backups.getXmlDesc(b.uuid(), Set.of());
            assertTrue(xml, xml.contains("<file kind=\"nvram\" name=\"nvram.fd\" size=\"" + nvramAtBackup.length));

            // After the backup: the guest changes its variables and its TPM.
            Files.write(nvram, new byte[nvramAtBackup.length]);
            Files.write(tpm, new byte[tpmAtBackup.length]);

            RestoreResult copy = backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid><domainName>"
                    + guest.name() + "-copy</domainName></domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN));
            try {
                String copyXml = Cmd.ok("virsh", "-c", Guest.URI, "dumpxml", copy.domain().name());
                Path copyNvram = nvram.resolveSibling(copy.domain().name() + "_VARS.fd");
                assertTrue("its own NVRAM, not the original's: " + copyXml, copyXml.contains(copyNvram.toString()));
                assertArrayEquals(nvramAtBackup, Files.readAllBytes(copyNvram));
                Path copyTpm = Path.of("/var/lib/libvirt/swtpm", copy.domain().uuid().toString(), "tpm2",
                        "tpm2-00.permall");
                assertArrayEquals(tpmAtBackup, Files.readAllBytes(copyTpm));
                assertArrayEquals("the original's NVRAM is untouched", new byte[nvramAtBackup.length],
                        Files.readAllBytes(nvram));
                // libvirt and swtpm take what the restore wrote: the copy starts on its own firmware state
                Cmd.ok("virsh", "-c", Guest.URI, "start", copy.domain().name());
                assertEquals("running", Cmd.ok("virsh", "-c", Guest.URI, "domstate", copy.domain().name()).strip());
            } finally {
                Cmd.run("virsh", "-c", Guest.URI, "destroy", copy.domain().name());
                Cmd.run("virsh", "-c", Guest.URI, "undefine", copy.domain().name(), "--nvram");
                Cmd.run("rm", "-f", copy.disks().get(0).path());
            }

            backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid></domainbackup>",
                    EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK));
            assertArrayEquals("the NVRAM is put back", nvramAtBackup, Files.readAllBytes(nvram));
            assertArrayEquals("and the TPM's state", tpmAtBackup, Files.readAllBytes(tpm));
            guest.startIt(); // boots on what was put back
            backups.delete(b.uuid(), Set.of());
        }
    }

    @Test
    public void aSubsetOfDisksRestoresAloneAndRawDisksStayRaw() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.startQcow2AndRaw(workDir(), "it-raw", 32 * MiB, 48 * MiB)) {
            guest.write(0, 0x11, 0, 2 * MiB);
            guest.write(1, 0x22, 4 * MiB, 2 * MiB);
            Backup b = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
            assertEquals("no checkpoint: raw disks keep no bitmap", null, backups.lookup(b.uuid()).orElseThrow().checkpoint());
            guest.write(0, 0x33, 0, 2 * MiB);
            guest.write(1, 0x44, 4 * MiB, 2 * MiB);

            Path expectedVdb = Images.create(guest.workDir().resolve("expected-vdb.qcow2"), 48 * MiB);
            Images.write(expectedVdb, 0x22, 4 * MiB, 2 * MiB);
            Path out = scratchDir("restore");
            Path vdb = out.resolve("vdb.img");
            RestoreResult alone = backups.restore(restore(b.uuid(), "vdb", vdb), Set.of());
            assertEquals(1, alone.disks().size());
            assertEquals(List.of("vdb.img"), filesUnder(out));
            assertTrue(Cmd.ok("qemu-img", "info", vdb.toString()).contains("file format: raw"));
            assertIdentical(vdb, expectedVdb);

            // Rewrite only vdb (raw) of the shut-off domain: vda keeps its later data.
            guest.shutOff();
            RestoreResult rewritten = backups.restore("<domainbackup><uuid>" + b.uuid()
                    + "</uuid><disks><disk name='vdb'/></disks></domainbackup>", EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK));
            assertEquals(guest.disk(1).toString(), rewritten.disks().get(0).path());
            assertTrue(Cmd.ok("qemu-img", "info", guest.disk(1).toString()).contains("file format: raw"));
            assertIdentical(guest.disk(1), expectedVdb);
            Path expectedVda = Images.create(guest.workDir().resolve("expected-vda.qcow2"), 32 * MiB);
            Images.write(expectedVda, 0x33, 0, 2 * MiB);
            assertIdentical(guest.disk(0), expectedVda);
            backups.delete(b.uuid(), Set.of());
        }
    }

    @Test
    public void badRestoresGetClearErrorsAndWriteNothing() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.startWithData(workDir(), "it-badrestore", 4 * 1024 * MiB, 3 * 1024 * MiB)) {
            Path out = scratchDir("restore");
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
            Backup running = backups.create(guest.name(), (String) null, Set.of());
            expectError(ErrorCode.INVALID_STATE, () -> backups.restore(restore(running.uuid(), "vda", out.resolve("a.qcow2")), Set.of()));
            // The image is never readable by others, not even while the copy writes it.
            Path image = Path.of(running.disks().get(0).target());
            int seen = 0;
            while (backups.lookup(running.uuid()).orElseThrow().state() == JobState.RUNNING) {
                if (Files.exists(image)) {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(image)));
                    seen++;
                }
                Thread.sleep(10);
            }
            assertTrue("the image was looked at while it was written", seen > 0);
            assertEquals(JobState.COMPLETED, backups.finishJob(running.uuid(), Set.of()));
            Backup b = running;

            expectError(ErrorCode.NO_BACKUP, () -> backups.restore(restore(UUID.randomUUID(), "vda", out.resolve("a.qcow2")), Set.of()));
            BackupException noDisk = expectError(ErrorCode.NO_DISK, () -> backups.restore(restore(b.uuid(), "vdq", out.resolve("a.qcow2")), Set.of()));
            assertTrue(noDisk.getMessage(), noDisk.getMessage().contains("vdq"));
            expectError(ErrorCode.INVALID_TARGET, () -> backups.restore(restore(b.uuid(), "vda", Path.of("/etc/evil.qcow2")), Set.of()));
            expectError(ErrorCode.INVALID_TARGET, () -> backups.restore(restore(b.uuid(), "vda", out.resolve("../../../../etc/x.qcow2")), Set.of()));
            // A symlink inside the restore roots leads nowhere outside them.
            Path outside = Files.createTempDirectory(Path.of("/var/tmp"), "outside-restore-roots");
            try {
                Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
                Path link = Files.createSymbolicLink(out.resolve("link"), outside);
                String refused = expectError(ErrorCode.INVALID_TARGET,
                        () -> backups.restore(restore(b.uuid(), "vda", link.resolve("a.qcow2")), Set.of())).getMessage();
                assertTrue(refused, refused.contains("outside the restore roots"));
                assertEquals(List.of(), filesUnder(outside));
                assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
                Files.delete(link);
            } finally {
                Files.deleteIfExists(outside);
            }
            Path existing = Files.writeString(out.resolve("existing.qcow2"), "keep me");
            expectError(ErrorCode.INVALID_TARGET, () -> backups.restore(restore(b.uuid(), "vda", existing), Set.of()));
            assertEquals("keep me", Files.readString(existing));

            // Not enough space: a 64 MiB file system for 3 GiB of data.
            Path tiny = Files.createDirectories(out.resolve("tiny"));
            Cmd.ok("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", tiny.toString());
            try {
                expectError(ErrorCode.NO_SPACE, () -> backups.restore(restore(b.uuid(), "vda", tiny.resolve("a.qcow2")), Set.of()));
                assertEquals(List.of(), filesUnder(tiny));
            } finally {
                Cmd.ok("umount", tiny.toString());
            }
            assertEquals(List.of("existing.qcow2", "tiny"), filesUnder(out));
            assertEquals("a directory we did not create keeps its mode", "rwxr-xr-x",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
            backups.delete(b.uuid(), Set.of());
        }
    }

    private static String restore(UUID backup, String disk, Path target) {
        return "<domainbackup><uuid>" + backup + "</uuid><disks><disk name='" + disk + "'><target file='" + target
                + "'/></disk></disks></domainbackup>";
    }

    private static void write(Guest guest, Path expected, int pattern, long offset, long length) throws Exception {
        guest.write(0, pattern, offset, length);
        Images.write(expected, pattern, offset, length);
    }
}
