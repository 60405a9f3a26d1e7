package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.impl.firmware.FirmwareRestore;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.xml.BackupXml;

/**
 * A restore cut short once its disks took their places: finished at start with the backup's
 * firmware state when the domain is still shut off, and never written under a domain that runs again.
 */
class RestoreRecoveryTest {

    private static final byte[] AT_BACKUP = "nvram at the backup".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LATER = "nvram of later".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    @Test
    void aShutOffDomainGetsTheBackupsFirmwareWithItsDisks() throws Exception {
        Path nvram = cutShortWithFirmware(false);
        assertArrayEquals(AT_BACKUP, Files.readAllBytes(nvram));
        assertFalse(RestoreIntent.pendingIn(tmp.resolve("backup")), "finished: the record is gone");
    }

    @Test
    void aDomainRunningAgainKeepsTheFirmwareItBootedOn() throws Exception {
        Path nvram = cutShortWithFirmware(true);
        assertArrayEquals(LATER, Files.readAllBytes(nvram), "nothing written under a running QEMU");
        assertFalse(RestoreIntent.pendingIn(tmp.resolve("backup")), "the disks finished, the firmware left as it is");
    }

    /** A restore of a UEFI domain's only disk, cut after its renames; then the recovery at start. Returns the NVRAM. */
    private Path cutShortWithFirmware(boolean runsAgain) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("backup"));
        Path disk = Files.writeString(tmp.resolve("vda.qcow2"), "restored vda");
        Path nvram = Files.write(tmp.resolve("guest_VARS.fd"), LATER);
        FakeLibvirt libvirt = new FakeLibvirt();
        FakeDomain domain = libvirt.add(new FakeDomain("guest", disk.toString()));
        domain.xml = domain.xml.replace("<devices>", "<os><loader type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
                + "<nvram>" + nvram + "</nvram></os><devices>");
        domain.active = runsAgain;
        FirmwareFile file = new FirmwareFile(FirmwareFile.NVRAM, "nvram.fd", AT_BACKUP.length,
                HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(AT_BACKUP)));
        BackupDisk vda = new BackupDisk("vda", "qcow2", dir.resolve("vda.qcow2").toString(), 1024, 1024);
        Backup backup = new Backup(UUID.randomUUID(), domain.ref, "", Instant.now(), Instant.now(), null, BackupKind.FULL,
                BackupMode.MANAGED, JobState.COMPLETED, null, "", List.of(vda), false, List.of(file));
        Catalogue catalogue = new Catalogue(new BackupXml());
        catalogue.put(new CatalogueEntry(backup, domain.xml, dir));

        RestoreIntent intent = RestoreIntent.begin(dir, List.of(new RestoreTarget(vda, disk, "qcow2")), true, null);
        intent.copied(); // the disks took their places; the crash came before the firmware

        new RestoreRecovery(catalogue, new DomainLocks().waiting(Duration.ofMillis(100)), libvirt,
                new FirmwareRestore(tmp.resolve("swtpm")), e -> f -> AT_BACKUP).recover(List.of(dir));
        return nvram;
    }
}
