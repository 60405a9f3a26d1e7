package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.RestoreRequest;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.fakes.FakeDomain;

/** A backup under an instantly restored domain stays, also when libvirt cannot say whether it still exists. */
class InstantRestoresTest {

    @TempDir
    Path tmp;

    @Test
    void aBackupHoldingALiveOverlayIsKeptAndOneWhoseDomainWentIsNot() {
        BackupTrees trees = new BackupTrees(tmp);
        Backup b = trees.full();
        Path overlay = tmp.resolve("restored-vda.qcow2");
        FakeDomain restored = trees.libvirt.add(new FakeDomain("restored", overlay.toString()));
        InstantRestores guard = new InstantRestores(trees.libvirt);
        guard.add(trees.directory(b), List.of(new InstantRestores.Use(restored.ref().uuid(), overlay.toString())));

        BackupException held = assertThrows(BackupException.class, () -> guard.requireNone(trees.catalogue.require(b.uuid())));
        assertEquals(ErrorCode.INVALID_STATE, held.code());
        assertTrue(held.getMessage().contains("domain restored"), held.getMessage());

        trees.libvirt.down = true;
        assertEquals(ErrorCode.LIBVIRT_ERROR, assertThrows(BackupException.class,
                () -> guard.requireNone(trees.catalogue.require(b.uuid()))).code(), "unknown is not gone");

        trees.libvirt.down = false;
        restored.xml = restored.xml.replace(overlay.toString(), tmp.resolve("elsewhere.qcow2").toString());
        guard.requireNone(trees.catalogue.require(b.uuid())); // its disk is another file now
    }

    @Test
    void aRecordThatCannotBeReadIsAnIoErrorThatKeepsTheBackup() throws Exception {
        BackupTrees trees = new BackupTrees(tmp);
        Backup b = trees.full();
        Files.createDirectory(trees.directory(b).resolve(InstantRestores.NAME)); // unreadable as a record
        BackupException e = assertThrows(BackupException.class,
                () -> new InstantRestores(trees.libvirt).requireNone(trees.catalogue.require(b.uuid())));
        assertEquals(ErrorCode.IO_ERROR, e.code(), "an error of the API, not an unchecked one: " + e.getMessage());
        assertTrue(e.getMessage().contains(InstantRestores.NAME), e.getMessage());
    }

    @Test
    void aTypedRestoreRequestIsCheckedAsTheSchemaChecksTheXml() {
        UUID backup = UUID.randomUUID();
        RestoreRequest.Disk vda = new RestoreRequest.Disk("vda", null);
        assertTrue(assertThrows(BackupException.class, () -> new RestoreRequest(backup, null, List.of(vda, vda)))
                .getMessage().contains("named twice"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> new RestoreRequest(backup, "a b", List.of())).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> new RestoreRequest(backup, "../x", List.of())).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> new RestoreRequest(backup, "vm\u0001", List.of())).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> new RestoreRequest.Disk("vda", "relative.qcow2")).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> new RestoreRequest(null, null, List.of())).code());
    }
}
