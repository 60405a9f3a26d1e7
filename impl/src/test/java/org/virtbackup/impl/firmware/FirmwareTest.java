package org.virtbackup.impl.firmware;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;

/** A UEFI guest with an emulated TPM, on real files: what a backup copies and a restore writes. */
class FirmwareTest {

    @TempDir
    Path tmp;

    private final UUID uuid = UUID.randomUUID();
    private Path swtpm;
    private Path nvram;
    private Path tpm;
    private Path backup;
    private String xml;

    @BeforeEach
    void guest() throws Exception {
        swtpm = tmp.resolve("swtpm");
        nvram = Files.createDirectories(tmp.resolve("nvram")).resolve("web1_VARS.fd");
        Files.write(nvram, bytes(540672, 7));
        tpm = Files.createDirectories(swtpm.resolve(uuid.toString()).resolve("tpm2"));
        Files.write(tpm.resolve("tpm2-00.permall"), bytes(6107, 9));
        Files.writeString(tpm.resolve(".lock"), "");
        backup = Files.createDirectories(tmp.resolve("backup"));
        xml = "<domain type='kvm'><name>web1</name><uuid>" + uuid + "</uuid><os><type>hvm</type>"
                + "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
                + "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>" + nvram + "</nvram></os><devices>"
                + "<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm></devices></domain>";
    }

    @Test
    void theStateIsFoundInBothNvramFormsAndOnlyForAnEmulatedTpm() {
        FirmwareState s = FirmwareState.of(xml, swtpm);
        assertEquals(nvram, s.nvram());
        assertEquals(tpm, s.tpm());
        String newer = xml.replace("<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>" + nvram + "</nvram>",
                "<nvram type='file'><source file='" + nvram + "'/></nvram>");
        assertEquals(nvram, FirmwareState.of(newer, swtpm).nvram());
        String passthrough = xml.replace("<backend type='emulator' version='2.0'/>",
                "<backend type='passthrough'><device path='/dev/tpm0'/></backend>");
        assertNull(FirmwareState.of(passthrough, swtpm).tpm());
        assertTrue(FirmwareState.of("<domain><name>bios</name><os><type>hvm</type></os><devices/></domain>", swtpm)
                .isEmpty());
    }

    @Test
    void aCaptureCopiesTheNvramAndTheTpmStateButNotItsLock() throws Exception {
        List<FirmwareFile> files = FirmwareCopies.capture(FirmwareState.of(xml, swtpm), backup);
        assertEquals(List.of("nvram.fd", "tpm2-00.permall"), files.stream().map(FirmwareFile::name).toList());
        assertEquals(540672, files.get(0).size());
        assertArrayEquals(Files.readAllBytes(nvram), FirmwareCopies.read(backup, files.get(0)));
        assertArrayEquals(Files.readAllBytes(tpm.resolve("tpm2-00.permall")), FirmwareCopies.read(backup, files.get(1)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                FirmwareCopies.of(backup, files.get(1)))));

        Files.write(FirmwareCopies.of(backup, files.get(0)), bytes(540672, 8));
        BackupException changed = assertThrows(BackupException.class, () -> FirmwareCopies.read(backup, files.get(0)));
        assertEquals(ErrorCode.CHAIN_BROKEN, changed.code());
    }

    @Test
    void aNewDomainGetsItsOwnNvramAndTpmStateAndNeverAnothersFile() throws Exception {
        List<FirmwareFile> files = FirmwareCopies.capture(FirmwareState.of(xml, swtpm), backup);
        FirmwareRestore restore = new FirmwareRestore(swtpm);
        FirmwareRestore.NewDomain placed = restore.forNewDomain(xml, "web1-copy", f -> FirmwareCopies.read(backup, f), files);
        assertEquals(nvram.resolveSibling("web1-copy_VARS.fd"), placed.nvram());
        assertArrayEquals(Files.readAllBytes(nvram), Files.readAllBytes(placed.nvram()));
        Path newTpm = swtpm.resolve(placed.uuid().toString()).resolve("tpm2").resolve("tpm2-00.permall");
        assertArrayEquals(Files.readAllBytes(tpm.resolve("tpm2-00.permall")), Files.readAllBytes(newTpm));

        String defined = FirmwareRestore.apply(xml.replace("<uuid>" + uuid + "</uuid>", ""), placed);
        FirmwareState theirs = FirmwareState.of(defined, swtpm);
        assertEquals(placed.nvram(), theirs.nvram());
        assertEquals(newTpm.getParent(), theirs.tpm());

        BackupException taken = assertThrows(BackupException.class, () -> restore.forNewDomain(xml, "web1-copy",
                f -> FirmwareCopies.read(backup, f), files));
        assertTrue(taken.getMessage().contains("web1-copy_VARS.fd exists"), taken.getMessage());
        restore.discard(placed);
        assertFalse(Files.exists(placed.nvram()));
        assertFalse(Files.exists(swtpm.resolve(placed.uuid().toString())));
        assertTrue(Files.exists(nvram), "the original's NVRAM is untouched");
    }

    @Test
    void anInPlaceRestorePutsTheStateBackAndDropsStateWrittenSince() throws Exception {
        List<FirmwareFile> files = FirmwareCopies.capture(FirmwareState.of(xml, swtpm), backup);
        byte[] atBackup = Files.readAllBytes(nvram);
        Files.write(nvram, bytes(540672, 1));
        Files.write(tpm.resolve("tpm2-00.permall"), bytes(7000, 2));
        Files.writeString(tpm.resolve("tpm2-00.volatilestate"), "since");
        new FirmwareRestore(swtpm).putBack(xml, f -> FirmwareCopies.read(backup, f), files);
        assertArrayEquals(atBackup, Files.readAllBytes(nvram));
        assertEquals(6107, Files.size(tpm.resolve("tpm2-00.permall")));
        assertFalse(Files.exists(tpm.resolve("tpm2-00.volatilestate")));
        assertTrue(Files.exists(tpm.resolve(".lock")), "swtpm's lock is not state");
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * seed + seed);
        }
        return b;
    }
}
