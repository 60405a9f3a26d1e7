package org.virtbackup.impl.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.api.JobState;
import org.virtbackup.api.NbdExport;
import org.virtbackup.api.NbdServer;

class BackupXmlTest {

    private final BackupXml xml = new BackupXml();

    @Test
    void parsesTheProposalsExampleOnceWellFormed() {
        BackupDocument doc = xml.parseRequest("""
                <domainbackup>
                  <uuid>54c70d40-26bb-48cd-9639-b3a1e9adf650</uuid>
                  <description>Any string</description>
                  <parent>
                    <uuid>d2ee2566-bef2-408f-ac7a-eb8004186074</uuid>
                  </parent>
                  <disks>
                    <disk name='vda'><target file='/backups/vda.qcow2'/></disk>
                    <disk name='vdb'/>
                  </disks>
                </domainbackup>""");
        assertEquals(UUID.fromString("54c70d40-26bb-48cd-9639-b3a1e9adf650"), doc.uuid());
        assertEquals("Any string", doc.description());
        assertEquals(UUID.fromString("d2ee2566-bef2-408f-ac7a-eb8004186074"), doc.parent());
        assertEquals(List.of(new BackupDocument.RequestedDisk("vda", DiskTarget.file("/backups/vda.qcow2")),
                new BackupDocument.RequestedDisk("vdb", null)), doc.disks());
    }

    @Test
    void emptyInputAsksForEveryDisk() {
        assertTrue(xml.parseRequest(null).disks().isEmpty());
        assertTrue(xml.parseRequest("  ").disks().isEmpty());
        assertTrue(xml.parseRequest("<domainbackup/>").disks().isEmpty());
    }

    @Test
    void theProposalsUnclosedParentIsRefusedByName() {
        BackupException e = assertThrows(BackupException.class, () -> xml.parseRequest("""
                <domainbackup>
                <uuid>54c70d40-26bb-48cd-9639-b3a1e9adf650</uuid>
                <description>Any string</description>
                <parent>
                <uuid>d2ee2566-bef2-408f-ac7a-eb8004186074</uuid>
                <parent>
                <disks>
                <disk name='vda'>
                </disk>
                </disks>
                </domainbackup>"""));
        assertEquals(ErrorCode.INVALID_XML, e.code());
        assertTrue(e.getMessage().contains("parent"), e.getMessage());
        assertTrue(e.getMessage().contains("line "), e.getMessage());
    }

    @Test
    void aDoctypeIsRefused() {
        BackupException e = assertThrows(BackupException.class, () -> xml.parseRequest(
                "<!DOCTYPE domainbackup [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                        + "<domainbackup><description>&x;</description></domainbackup>"));
        assertEquals(ErrorCode.INVALID_XML, e.code());
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        assertFalse(e.getMessage().contains("root:"), e.getMessage());
    }

    @Test
    void anExternalDtdIsNeverFetched() {
        BackupException e = assertThrows(BackupException.class, () -> xml.parseRequest(
                "<!DOCTYPE domainbackup SYSTEM 'http://127.0.0.1:9/x.dtd'><domainbackup/>"));
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
    }

    @Test
    void schemaErrorsNameTheElement() {
        BackupException unknown = assertThrows(BackupException.class,
                () -> xml.parseRequest("<domainbackup><colour>red</colour></domainbackup>"));
        assertEquals(ErrorCode.INVALID_XML, unknown.code());
        assertTrue(unknown.getMessage().contains("colour"), unknown.getMessage());

        BackupException badUuid = assertThrows(BackupException.class,
                () -> xml.parseRequest("<domainbackup><uuid>not-a-uuid</uuid></domainbackup>"));
        assertTrue(badUuid.getMessage().contains("not-a-uuid"), badUuid.getMessage());

        BackupException noName = assertThrows(BackupException.class,
                () -> xml.parseRequest("<domainbackup><disks><disk/></disks></domainbackup>"));
        assertTrue(noName.getMessage().contains("name"), noName.getMessage());

        BackupException relative = assertThrows(BackupException.class, () -> xml.parseRequest(
                "<domainbackup><disks><disk name='vda'><target file='../x'/></disk></disks></domainbackup>"));
        assertTrue(relative.getMessage().contains("../x"), relative.getMessage());
    }

    @Test
    void aDiskNamedTwiceIsRefused() {
        BackupException e = assertThrows(BackupException.class, () -> xml.parseRequest(
                "<domainbackup><disks><disk name='vda'/><disk name='vda'/></disks></domainbackup>"));
        assertTrue(e.getMessage().contains("'vda' is named twice"), e.getMessage());
    }

    @Test
    void descriptorsRoundTripWithTheDomainXml() {
        Backup b = new Backup(UUID.randomUUID(), new DomainRef("vm1", UUID.randomUUID()), "nightly",
                Instant.ofEpochSecond(1270477159), Instant.ofEpochSecond(1270477200), null, BackupKind.FULL,
                BackupMode.MANAGED, JobState.COMPLETED, null, "",
                List.of(new BackupDisk("vda", "qcow2", "/b/vda.qcow2", 4096, 1024)));
        String domainXml = "<domain type=\"kvm\"><name>vm1</name><devices><disk device=\"disk\"/></devices></domain>";
        String out = xml.write(b, domainXml);
        assertTrue(out.contains("<creationTime>1270477159</creationTime>"), out);
        assertTrue(out.contains("<state>completed</state>"), out);

        Descriptor back = xml.readDescriptor(out);
        assertEquals(b, back.backup());
        assertTrue(back.domainXml().contains("<name>vm1</name>"), back.domainXml());
        assertFalse(xml.write(b, null).contains("<domain "), "NO_DOMAIN leaves the domain out");
        assertNull(back.backup().parent());
    }

    @Test
    void theFirmwareStateKeptWithABackupIsInItsDescriptorAndReadBack() {
        String sha = "ab".repeat(32);
        Backup b = new Backup(UUID.randomUUID(), new DomainRef("uefi", UUID.randomUUID()), "", Instant.ofEpochSecond(7),
                Instant.ofEpochSecond(8), null, BackupKind.FULL, BackupMode.MANAGED, JobState.COMPLETED, null, "",
                List.of(new BackupDisk("vda", "qcow2", "/b/vda.qcow2", 4096, 1024)), false,
                List.of(new FirmwareFile(FirmwareFile.NVRAM, "nvram.fd", 540672, sha),
                        new FirmwareFile(FirmwareFile.TPM, "tpm2-00.permall", 6107, sha)));
        String out = xml.write(b, "<domain><name>uefi</name></domain>");
        assertTrue(out.contains("<file kind=\"nvram\" name=\"nvram.fd\" size=\"540672\" sha256=\"" + sha), out);
        assertEquals(b, xml.readDescriptor(out).backup());
        assertEquals(b, xml.readStoredDescriptor(out).backup());
        String bad = out.replace("size=\"6107\"", "size=\"-1\"");
        assertEquals(ErrorCode.INVALID_XML, assertThrows(BackupException.class, () -> xml.readDescriptor(bad)).code());
    }

    @Test
    void timesKeepTheirMillisecondsAndWholeSecondsStayIntegers() {
        Instant precise = Instant.ofEpochMilli(1270477159123L);
        Backup b = new Backup(UUID.randomUUID(), new DomainRef("vm1", UUID.randomUUID()), "", precise,
                Instant.ofEpochSecond(1270477200), null, BackupKind.FULL, BackupMode.MANAGED, JobState.COMPLETED, null, "",
                List.of());
        String out = xml.write(b, "<domain/>");
        assertTrue(out.contains("<creationTime>1270477159.123</creationTime>"), out);
        assertTrue(out.contains("<completionTime>1270477200</completionTime>"), out);
        assertEquals(b, xml.readDescriptor(out).backup());
    }

    @Test
    void aDumpIsAcceptedAsRequest() {
        Backup b = new Backup(UUID.randomUUID(), new DomainRef("vm1", UUID.randomUUID()), "", Instant.now(), null,
                UUID.randomUUID(), BackupKind.INCREMENTAL, BackupMode.MANAGED, JobState.RUNNING, "cp1", "",
                List.of(new BackupDisk("vda", "qcow2", "/b/vda.qcow2", 4096, 0)));
        BackupDocument doc = xml.parseRequest(xml.write(b, "<domain><name>vm1</name></domain>"));
        assertEquals(b.uuid(), doc.uuid());
        assertEquals(b.parent(), doc.parent());
        assertEquals("vda", doc.disks().get(0).name());
    }

    @Test
    void unmanagedDescriptorsKeepTheirExportsAndNoTarget() {
        NbdExport export = new NbdExport("nbd://127.0.0.1:10809/vda", "vda", "qemu:dirty-bitmap:backup-vda");
        Backup b = new Backup(UUID.randomUUID(), new DomainRef("vm1", UUID.randomUUID()), "", Instant.ofEpochSecond(5), null,
                UUID.randomUUID(), BackupKind.INCREMENTAL, BackupMode.UNMANAGED, JobState.RUNNING, "cp2", "",
                List.of(new BackupDisk("vda", "raw", "", 4096, 0, export)));
        String out = xml.write(b, "<domain/>");
        assertTrue(out.contains("<export uri=\"nbd://127.0.0.1:10809/vda\" name=\"vda\" bitmap=\"qemu:dirty-bitmap:backup-vda\"/>"), out);
        assertFalse(out.contains("<target"), out);
        assertEquals(b, xml.readDescriptor(out).backup());
    }

    @Test
    void theServerElementAsksForAnNbdTransport() {
        assertEquals(new NbdServer(NbdServer.Transport.TCP, "0.0.0.0", 10900, true),
                xml.parseRequest("<domainbackup><server transport='tcp' name='0.0.0.0' port='10900' tls='yes'/></domainbackup>")
                        .server());
        assertEquals(new NbdServer(NbdServer.Transport.TCP, null, 0, false),
                xml.parseRequest("<domainbackup><server transport='tcp'/></domainbackup>").server());
        assertEquals(NbdServer.unix(), xml.parseRequest("<domainbackup><server transport='unix'/></domainbackup>").server());
        assertNull(xml.parseRequest("<domainbackup/>").server());
        BackupException e = assertThrows(BackupException.class,
                () -> xml.parseRequest("<domainbackup><server transport='unix' port='1'/></domainbackup>"));
        assertTrue(e.getMessage().contains("takes no name, port or tls"), e.getMessage());
        BackupException p = assertThrows(BackupException.class,
                () -> xml.parseRequest("<domainbackup><server transport='tcp' port='70000'/></domainbackup>"));
        assertEquals(ErrorCode.INVALID_XML, p.code());
        assertTrue(p.getMessage().contains("70000"), p.getMessage());
    }
}
