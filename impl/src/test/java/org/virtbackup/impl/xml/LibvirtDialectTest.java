package org.virtbackup.impl.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.NbdServer;
import org.virtbackup.impl.libvirt.Checkpoints;

/** libvirt's own documents (src/test/resources/libvirt-domainbackup) read as create and startUnmanaged read them. */
class LibvirtDialectTest {

    private final RequestXml requests = new RequestXml(new BackupXml(), new InputLimits(1 << 20));

    @Test
    void theDocsPushExampleIsRefusedForItsRawDriverAndTakenWithoutIt() throws IOException {
        String doc = libvirt("formatbackup-push.xml");
        BackupException raw = refusedByCreate(doc, ErrorCode.NOT_SUPPORTED);
        assertTrue(raw.getMessage().contains("disk 'vdb'") && raw.getMessage().contains("<driver type='raw'>"),
                raw.getMessage());

        BackupRequest r = create(doc.replace("<driver type='raw'/>", "<driver type='qcow2'/>"));
        assertEquals(List.of("vda", "vdb"), r.disks(), "vdc has backup='no'");
        assertEquals(Map.of("vdb", DiskTarget.file("/path/to/vdb.backup")), r.targets());
        assertNull(r.parent());
    }

    @Test
    void theDocsPullExampleIsAnExportAndItsCallerChosenSocketIsRefused() throws IOException {
        String doc = libvirt("formatbackup-pull.xml");
        BackupException pull = refusedByCreate(doc, ErrorCode.INVALID_ARGUMENT);
        assertTrue(pull.getMessage().contains("mode='pull'") && pull.getMessage().contains("startUnmanaged"),
                pull.getMessage());
        BackupException scratch = refusedByExport(doc, ErrorCode.NOT_SUPPORTED);
        assertTrue(scratch.getMessage().contains("<scratch>"), scratch.getMessage());
        BackupException socket = refusedByExport(doc.replaceAll("(?s)<scratch[^>]*/>", ""), ErrorCode.NOT_SUPPORTED);
        assertTrue(socket.getMessage().contains("<server socket='/path/to/server'>"), socket.getMessage());
    }

    @Test
    void theTestSuitesPullDocumentsAreRefusedForTheirScratchFilesOrPerDiskCheckpoints() throws IOException {
        BackupException scratch = refusedByExport(libvirt("backup-pull.xml"), ErrorCode.NOT_SUPPORTED);
        assertTrue(scratch.getMessage().contains("disk 'vda'") && scratch.getMessage().contains("<scratch>"),
                scratch.getMessage());
        BackupException checkpoints = refusedByExport(libvirt("backup-pull-unix.xml"), ErrorCode.INVALID_XML);
        assertTrue(checkpoints.getMessage().contains("different checkpoints"), checkpoints.getMessage());

        String withoutScratch = libvirt("backup-pull.xml").replaceAll("(?s)<scratch[^>]*/>", "")
                .replace("1525889631", Checkpoints.nameFor(PARENT));
        RequestXml.Start start = requests.export(withoutScratch, Checkpoints::backupNamed);
        assertTrue(start.sinceCheckpoint(), "libvirt's <incremental> is strict: an incremental or an error");
        BackupRequest export = start.request();
        assertEquals(PARENT, export.parent());
        assertEquals(List.of("vda"), export.disks(), "hda has backup='no'");
        assertEquals(new NbdServer(NbdServer.Transport.TCP, "localhost", 10809, false), export.server());
    }

    @Test
    void theTestSuitesPushDocumentsAreRefusedNamingWhatDoesNotMap() throws IOException {
        BackupException raw = refusedByCreate(libvirt("backup-push.xml"), ErrorCode.NOT_SUPPORTED);
        assertTrue(raw.getMessage().contains("disk 'vda'") && raw.getMessage().contains("raw"), raw.getMessage());
        BackupException seclabel = refusedByCreate(libvirt("backup-push-seclabel.xml")
                .replace("<driver type='raw'/>", ""), ErrorCode.NOT_SUPPORTED);
        assertTrue(seclabel.getMessage().contains("<target><seclabel>"), seclabel.getMessage());
        BackupException encryption = refusedByCreate(libvirt("backup-push-encrypted.xml"), ErrorCode.NOT_SUPPORTED);
        assertTrue(encryption.getMessage().contains("disk 'vda'") && encryption.getMessage().contains("<encryption>"),
                encryption.getMessage());
        BackupException block = refusedByCreate("<domainbackup><disks><disk name='vdb' type='block'><target "
                + "dev='/dev/block'/></disk></disks></domainbackup>", ErrorCode.NOT_SUPPORTED);
        assertTrue(block.getMessage().contains("type='block'"), block.getMessage());
    }

    @Test
    void aFullDiskInAnIncrementalAndACheckpointNotOursAreRefused() throws IOException {
        String push = libvirt("backup-push.xml").replace("<driver type='raw'/>", "");
        BackupException full = refusedByCreate(push.replace("1525889631", Checkpoints.nameFor(PARENT)),
                ErrorCode.NOT_SUPPORTED);
        assertTrue(full.getMessage().contains("disk 'vdb'") && full.getMessage().contains("backupmode='full'"),
                full.getMessage());
        BackupException foreign = refusedByCreate(push.replace(" backupmode='full'", ""), ErrorCode.INVALID_ARGUMENT);
        assertTrue(foreign.getMessage().contains("<incremental>1525889631</incremental>"), foreign.getMessage());
    }

    @Test
    void anIncrementalSinceOurCheckpointPicksThatBackupAsParent() throws IOException {
        String push = libvirt("backup-push.xml").replace("<driver type='raw'/>", "<driver type='qcow2'/>")
                .replace(" backupmode='full'", " backupmode='incremental'").replace("1525889631", Checkpoints.nameFor(PARENT));
        BackupRequest r = create(push);
        assertEquals(PARENT, r.parent());
        assertEquals(List.of("vda", "vdb"), r.disks(), "hda has backup='no'");
        assertEquals(Map.of("vda", DiskTarget.file("/path/to/file")), r.targets());

        BackupException twoParents = refusedByCreate(push.replace("<disks>", "<parent><uuid>" + UUID.randomUUID()
                + "</uuid></parent><disks>"), ErrorCode.INVALID_ARGUMENT);
        assertTrue(twoParents.getMessage().contains("one parent"), twoParents.getMessage());
        BackupException noSince = refusedByCreate("<domainbackup><disks><disk name='vda' backupmode='incremental'/>"
                + "</disks></domainbackup>", ErrorCode.INVALID_XML);
        assertTrue(noSince.getMessage().contains("needs <incremental>"), noSince.getMessage());
    }

    @Test
    void theEmptyDocumentBacksUpEveryDiskAndAllExcludedIsRefused() throws IOException {
        BackupRequest r = create(libvirt("empty.xml"));
        assertEquals(List.of(), r.disks());
        assertEquals(Map.of(), r.targets());
        BackupException none = refusedByCreate("<domainbackup><disks><disk name='vda' backup='no'/></disks>"
                + "</domainbackup>", ErrorCode.INVALID_XML);
        assertTrue(none.getMessage().contains("backup='no'"), none.getMessage());
    }

    @Test
    void aPoolVolumeIsATargetAndAPushDocumentIsNoExport() {
        BackupRequest r = create("<domainbackup><disks><disk name='vda'><target pool='backups' volume='vm1-vda'/>"
                + "</disk></disks></domainbackup>");
        assertEquals(Map.of("vda", DiskTarget.volume("backups", "vm1-vda")), r.targets());
        BackupException push = refusedByExport("<domainbackup mode='push'/>", ErrorCode.INVALID_ARGUMENT);
        assertTrue(push.getMessage().contains("mode='push'") && push.getMessage().contains("create"), push.getMessage());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class, () -> requests.restore(
                "<domainbackup><uuid>" + PARENT + "</uuid><incremental>x</incremental></domainbackup>")).code());
    }

    @Test
    void aCheckpointOnSomeDisksOnlyIsRefusedWhereLibvirtWouldMixFullAndIncremental() {
        BackupException mixed = refusedByCreate("<domainbackup><disks><disk name='vda' incremental='"
                + Checkpoints.nameFor(PARENT) + "'/><disk name='vdb'/></disks></domainbackup>", ErrorCode.NOT_SUPPORTED);
        assertTrue(mixed.getMessage().contains("disk 'vdb' names no incremental"), mixed.getMessage());
        RequestXml.Start both = requests.backup("<domainbackup><disks><disk name='vda' incremental='"
                + Checkpoints.nameFor(PARENT) + "'/><disk name='vdb' incremental='" + Checkpoints.nameFor(PARENT)
                + "'/></disks></domainbackup>", Checkpoints::backupNamed);
        assertEquals(PARENT, both.request().parent());
        assertTrue(both.sinceCheckpoint());
        assertFalse(requests.backup("<domainbackup><parent><uuid>" + PARENT + "</uuid></parent></domainbackup>",
                Checkpoints::backupNamed).sinceCheckpoint(), "our <parent> keeps its fallback to a full backup");
    }

    @Test
    void aRestoreRefusesLibvirtsWordsNamingTheFirst() {
        for (String[] c : new String[][] {{"<domainbackup mode='push'><uuid>" + PARENT + "</uuid></domainbackup>",
                "mode='push'"}, {"<domainbackup><uuid>" + PARENT + "</uuid><disks><disk name='vda' backup='no'/>"
                + "</disks></domainbackup>", "disk 'vda': backup='no'"}, {"<domainbackup><uuid>" + PARENT
                + "</uuid><disks><disk name='vda'><driver type='raw'/></disk></disks></domainbackup>", "<driver>"},
                {"<domainbackup><uuid>" + PARENT + "</uuid><disks><disk name='vda'><target pool='p' volume='v'/></disk>"
                + "</disks></domainbackup>", "other than file"}}) {
            BackupException e = assertThrows(BackupException.class, () -> requests.restore(c[0]));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().startsWith("restore XML"), e.getMessage());
        }
        assertEquals(1, requests.restore("<domainbackup><uuid>" + PARENT + "</uuid><disks><disk name='vda'><target "
                + "file='/r/vda.qcow2'/></disk></disks></domainbackup>").disks().size());
    }

    private static final UUID PARENT = UUID.fromString("d2ee2566-bef2-408f-ac7a-eb8004186074");

    private BackupRequest create(String doc) {
        return requests.backup(doc, Checkpoints::backupNamed).request();
    }

    private BackupException refusedByCreate(String doc, ErrorCode code) {
        BackupException e = assertThrows(BackupException.class, () -> create(doc));
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    private BackupException refusedByExport(String doc, ErrorCode code) {
        BackupException e = assertThrows(BackupException.class, () -> requests.export(doc, Checkpoints::backupNamed));
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    private static String libvirt(String name) throws IOException {
        try (InputStream in = LibvirtDialectTest.class.getResourceAsStream("/libvirt-domainbackup/" + name)) {
            if (in == null) {
                throw new IOException("test resource libvirt-domainbackup/" + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
