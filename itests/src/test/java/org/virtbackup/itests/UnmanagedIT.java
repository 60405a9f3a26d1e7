package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.ListFlag;
import org.virtbackup.api.NbdExport;
import org.virtbackup.api.NbdServer;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.XmlFlag;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.TestCa;

/**
 * Unmanaged backups: NBD exports read by real clients (nbdcopy, qemu-img, nbdinfo), compared
 * with the disk as it was when the export started.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UnmanagedIT extends BackupTestSupport {

    private static final long SIZE = 64 * MiB;
    private static final int EXPIRY_SECONDS = 20;
    /** Where setup-host.sh points libvirt's backup_tls_x509_cert_dir. */
    private static final Path QEMU_TLS_DIR = Path.of("/var/lib/virt-backup-test/nbd-tls");

    @Override
    protected Option[] additionalOptions() {
        List<Option> options = new ArrayList<>(List.of(super.additionalOptions()));
        options.add(editConfigurationFilePut("etc/org.virtbackup.cfg", "export.expiry.seconds",
                Integer.toString(EXPIRY_SECONDS)));
        return options.toArray(new Option[0]);
    }

    @Test
    public void fullAndIncrementalExportsReadAsTheDiskAtTheirStart() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-export", SIZE)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), SIZE);
            write(guest, expected, 0x11, 0, 8 * MiB);
            Path atFull = snapshot(expected, "at-full");

            Backup full = backups.startUnmanaged(guest.name(), (String) null, Set.of());
            assertEquals(BackupMode.UNMANAGED, full.mode());
            assertEquals(BackupKind.FULL, full.kind());
            assertEquals(JobState.RUNNING, full.state());
            NbdExport export = full.disks().get(0).export();
            assertTrue(export.uri(), export.uri().startsWith("nbd+unix:///vda?socket=/"));
            assertEquals("vda", export.name());
            assertEquals("", export.bitmapContext());
            Path socket = Path.of(export.uri().substring(export.uri().indexOf("socket=") + 7));
            assertEquals("the socket is its owner's only", "rw-------",
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertTrue(backups.getXmlDesc(full.uuid(), Set.of(XmlFlag.NO_DOMAIN)).contains("<export uri=\"" + export.uri()));
            assertEquals(List.of(full.uuid()), uuids(backups.list(guest.name(), EnumSet.of(ListFlag.UNMANAGED))));
            assertEquals(List.of(), backups.list(guest.name(), EnumSet.of(ListFlag.MANAGED)));

            // The guest writes on; the export still reads as the disk at its start.
            write(guest, expected, 0x22, 0, 4 * MiB);
            Path copy = guest.workDir().resolve("full-nbdcopy.raw");
            Cmd.ok("nbdcopy", export.uri(), copy.toString());
            assertIdentical(copy, atFull);
            Path converted = guest.workDir().resolve("full-qemu-img.qcow2");
            Cmd.ok("qemu-img", "convert", "-f", "raw", "-O", "qcow2", export.uri(), converted.toString());
            assertIdentical(converted, atFull);
            expectError(ErrorCode.DOMAIN_BUSY, () -> backups.create(guest.name(), (String) null, Set.of()));
            Path scratch = Path.of(System.getProperty("karaf.data"), "virt-backup-scratch");
            assertTrue("copy-before-write data goes to the configured scratch directory: " + filesUnder(scratch),
                    filesUnder(scratch).stream().anyMatch(f -> f.startsWith(full.uuid().toString())));

            assertEquals(JobState.COMPLETED, backups.finishJob(full.uuid(), Set.of()));
            assertFalse("the socket is gone", Files.exists(socket));
            assertTrue("the scratch file is gone", filesUnder(scratch).stream().noneMatch(f -> f.startsWith(full.uuid().toString())));
            assertNoLibvirtJob(guest.name());
            assertTrue("the checkpoint stays for the next incremental", guest.checkpoints().contains(full.checkpoint()));
            assertEquals(JobState.COMPLETED, backups.lookup(full.uuid()).orElseThrow().state());
            expectError(ErrorCode.NOT_SUPPORTED, () -> backups.restore("<domainbackup><uuid>" + full.uuid()
                    + "</uuid></domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN)));

            // An incremental export relative to the unmanaged one: the bitmap lists exactly what changed.
            write(guest, expected, 0x33, 10 * MiB, 1 * MiB);
            write(guest, expected, 0x34, 20 * MiB, 64 * 1024);
            Path atIncremental = snapshot(expected, "at-incremental");
            Backup inc = backups.startUnmanaged(guest.name(), parentXml(full.uuid()), Set.of());
            assertEquals(BackupKind.INCREMENTAL, inc.kind());
            assertEquals(full.uuid(), inc.parent());
            NbdExport incExport = inc.disks().get(0).export();
            assertEquals("qemu:dirty-bitmap:backup-vda", incExport.bitmapContext());
            assertEquals(List.of(new long[] {0, 4 * MiB}, new long[] {10 * MiB, 1 * MiB}, new long[] {20 * MiB, 64 * 1024})
                    .stream().map(r -> r[0] + "+" + r[1]).toList(), dirty(incExport));
            Path incCopy = guest.workDir().resolve("inc-nbdcopy.raw");
            Cmd.ok("nbdcopy", incExport.uri(), incCopy.toString());
            assertIdentical(incCopy, atIncremental);
            assertEquals(JobState.COMPLETED, backups.finishJob(inc.uuid(), Set.of()));

            // A managed backup cannot build on an unmanaged one (no image): it is made full and says why.
            expectError(ErrorCode.CHAIN_BROKEN, () -> backups.create(guest.name(), parentXml(inc.uuid()),
                    EnumSet.of(CreateFlag.STRICT_INCREMENTAL)));
            Backup managed = backups.create(guest.name(), parentXml(inc.uuid()), Set.of());
            assertEquals(BackupKind.FULL, managed.kind());
            assertNull(managed.parent());
            assertTrue(managed.message(), managed.message().contains("unmanaged"));
            assertEquals(JobState.COMPLETED, backups.finishJob(managed.uuid(), Set.of()));

            // An export relative to a managed backup.
            write(guest, expected, 0x44, 30 * MiB, 2 * MiB);
            Backup sinceManaged = backups.startUnmanaged(guest.name(), parentXml(managed.uuid()), Set.of());
            assertEquals(List.of(30 * MiB + "+" + 2 * MiB), dirty(sinceManaged.disks().get(0).export()));
            assertEquals(JobState.COMPLETED, backups.finishJob(sinceManaged.uuid(), Set.of()));

            // CANCEL drops the checkpoint: the next incremental covers what the third party may have missed.
            write(guest, expected, 0x55, 40 * MiB, 1 * MiB);
            Backup cancelled = backups.startUnmanaged(guest.name(), (String) null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(sinceManaged.uuid(), cancelled.parent());
            assertEquals(JobState.CANCELLED, backups.finishJob(cancelled.uuid(), EnumSet.of(FinishJobFlag.CANCEL)));
            assertTrue(backups.lookup(cancelled.uuid()).isEmpty());
            assertFalse(guest.checkpoints().contains(cancelled.checkpoint()));
            Backup next = backups.startUnmanaged(guest.name(), (String) null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(sinceManaged.uuid(), next.parent());
            assertEquals(List.of(40 * MiB + "+" + 1 * MiB), dirty(next.disks().get(0).export()));
            assertEquals(JobState.COMPLETED, backups.finishJob(next.uuid(), Set.of()));

            // Delete takes the bookkeeping and the checkpoint.
            backups.delete(next.uuid(), Set.of());
            assertTrue(backups.lookup(next.uuid()).isEmpty());
            assertFalse(guest.checkpoints().contains(next.checkpoint()));
        }
    }

    @Test
    public void tcpExportsAndTlsWithClientCertificates() throws Exception {
        BackupService backups = backupService();
        TestCa ca = TestCa.create(scratchDir("ca"));
        ca.installServer(QEMU_TLS_DIR);
        try (Guest guest = Guest.start(workDir(), "it-tcp", SIZE)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), SIZE);
            write(guest, expected, 0x66, 1 * MiB, 6 * MiB);

            Backup plain = backups.startUnmanaged(guest.name(), "<domainbackup><server transport='tcp' name='127.0.0.1'/>"
                    + "</domainbackup>", Set.of());
            String uri = plain.disks().get(0).export().uri();
            assertTrue(uri, uri.matches("nbd://127\\.0\\.0\\.1:108[0-4][0-9]/vda"));
            Path copy = guest.workDir().resolve("tcp.raw");
            Cmd.ok("nbdcopy", uri, copy.toString());
            assertIdentical(copy, expected);
            assertEquals(JobState.COMPLETED, backups.finishJob(plain.uuid(), Set.of()));

            Backup tls = backups.startUnmanaged(guest.name(), new BackupRequest(null, "tls", null, List.of(),
                    new NbdServer(NbdServer.Transport.TCP, "127.0.0.1", 0, true)), Set.of());
            String tlsUri = tls.disks().get(0).export().uri();
            assertTrue(tlsUri, tlsUri.startsWith("nbds://127.0.0.1:"));
            Path tlsCopy = guest.workDir().resolve("tls.raw");
            Cmd.ok("nbdcopy", tlsUri + "?tls-certificates=" + ca.clientDir(true), tlsCopy.toString());
            assertIdentical(tlsCopy, expected);
            Cmd.Result anonymous = Cmd.run("nbdinfo", tlsUri + "?tls-certificates=" + ca.clientDir(false));
            assertNotEquals("a client without a certificate is refused: " + anonymous.output(), 0, anonymous.exitCode());
            Cmd.Result cleartext = Cmd.run("nbdinfo", "nbd://" + tlsUri.substring("nbds://".length()));
            assertNotEquals("a client without TLS is refused: " + cleartext.output(), 0, cleartext.exitCode());
            assertEquals(JobState.COMPLETED, backups.finishJob(tls.uuid(), Set.of()));

            // Refused before libvirt is asked: cleartext beyond loopback, a port outside nbd.tcp.ports.
            String open = expectError(ErrorCode.INVALID_ARGUMENT, () -> backups.startUnmanaged(guest.name(),
                    "<domainbackup><server transport='tcp' name='0.0.0.0'/></domainbackup>", Set.of())).getMessage();
            assertTrue(open, open.contains("needs TLS"));
            String port = expectError(ErrorCode.INVALID_ARGUMENT, () -> backups.startUnmanaged(guest.name(),
                    "<domainbackup><server transport='tcp' name='127.0.0.1' port='22'/></domainbackup>", Set.of()))
                    .getMessage();
            assertTrue(port, port.contains("outside nbd.tcp.ports"));
            assertEquals(List.of(plain.uuid(), tls.uuid()),
                    backups.list(guest.name(), Set.of()).stream().map(Backup::uuid).toList());
            assertEquals(List.of(), guest.checkpoints().stream().filter(c -> !c.equals(plain.checkpoint())
                    && !c.equals(tls.checkpoint())).toList());
        }
    }

    @Test
    public void anExportLeftOpenExpiresAndItsCheckpointGoes() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-expiry", SIZE)) {
            Backup open = backups.startUnmanaged(guest.name(), (String) null, Set.of());
            assertTrue(guest.checkpoints().contains(open.checkpoint()));
            waitUntil("the export expires", EXPIRY_SECONDS + 15,
                    () -> backups.lookup(open.uuid()).orElseThrow().state() != JobState.RUNNING);
            Backup expired = backups.lookup(open.uuid()).orElseThrow();
            assertEquals(JobState.EXPIRED, expired.state());
            assertTrue(expired.message(), expired.message().contains("export.expiry.seconds"));
            assertNoLibvirtJob(guest.name());
            assertFalse("its checkpoint is dropped", guest.checkpoints().contains(open.checkpoint()));
            assertEquals(JobState.EXPIRED, backups.finishJob(open.uuid(), Set.of()));
        }
    }

    @Test
    public void anExportOutlivesARestartOfTheImplementation() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-export-restart", SIZE)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), SIZE);
            write(guest, expected, 0x77, 2 * MiB, 3 * MiB);
            Backup open = backupService().startUnmanaged(guest.name(), (String) null, Set.of());
            restartImplementation();
            BackupService backups = backupService();
            assertEquals(JobState.RUNNING, backups.lookup(open.uuid()).orElseThrow().state());
            Path copy = guest.workDir().resolve("after-restart.raw");
            Cmd.ok("nbdcopy", open.disks().get(0).export().uri(), copy.toString());
            assertIdentical(copy, expected);
            assertEquals(JobState.COMPLETED, backups.finishJob(open.uuid(), Set.of()));
            assertTrue(guest.checkpoints().contains(open.checkpoint()));
        }
    }

    @Test
    public void shellExportPrintsTheUrisAndFinishEndsIt() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-shell-export", SIZE)) {
            String out = executeCommand("backup:export " + guest.name());
            String[] lines = out.strip().split("\n");
            UUID uuid = UUID.fromString(lines[lines.length - 1].strip());
            assertTrue(out, out.contains("vda  nbd+unix:///vda?socket="));
            assertEquals(JobState.RUNNING, backupService().lookup(uuid).orElseThrow().state());
            assertEquals("completed", executeCommand("backup:finish " + uuid).strip());
            String tcp = executeCommand("backup:export --tcp 127.0.0.1:0 " + guest.name());
            assertTrue(tcp, tcp.contains("vda  nbd://127.0.0.1:"));
            String[] tcpLines = tcp.strip().split("\n");
            assertEquals("cancelled", executeCommand("backup:finish --cancel " + tcpLines[tcpLines.length - 1].strip()).strip());
        }
    }

    private static void write(Guest guest, Path expected, int pattern, long offset, long length) throws Exception {
        guest.write(0, pattern, offset, length);
        Images.write(expected, pattern, offset, length);
    }

    private static Path snapshot(Path expected, String name) throws Exception {
        return Files.copy(expected, expected.resolveSibling(name + ".qcow2"), StandardCopyOption.REPLACE_EXISTING);
    }

    /** The dirty extents of an incremental export, as offset+length, read by nbdinfo. */
    private static List<String> dirty(NbdExport export) {
        return Cmd.ok("nbdinfo", "--map=" + export.bitmapContext(), export.uri()).lines()
                .map(l -> l.strip().split("\\s+"))
                .filter(f -> f.length >= 3 && f[2].equals("1"))
                .map(f -> f[0] + "+" + f[1]).toList();
    }

    private static String parentXml(UUID parent) {
        return "<domainbackup><parent><uuid>" + parent + "</uuid></parent></domainbackup>";
    }

    private static List<UUID> uuids(List<Backup> backups) {
        return backups.stream().map(Backup::uuid).toList();
    }
}
