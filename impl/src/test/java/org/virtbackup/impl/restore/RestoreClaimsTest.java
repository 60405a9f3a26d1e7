package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/** The targets restores are writing: one file, one restore at a time. */
class RestoreClaimsTest {

    private final RestoreClaims claims = new RestoreClaims();

    @Test
    void aSecondClaimOfATargetIsBusyUntilTheFirstIsClosed() {
        List<RestoreTarget> plan = List.of(target("/restores/a.qcow2"));
        RestoreClaims.Claim first = claims.claim(plan);
        BackupException e = assertThrows(BackupException.class, () -> claims.claim(plan));
        assertEquals(ErrorCode.DOMAIN_BUSY, e.code());
        assertTrue(e.getMessage().contains("another restore is writing /restores/a.qcow2"), e.getMessage());

        first.close();
        claims.claim(plan).close();
    }

    @Test
    void aRefusedClaimKeepsNoneOfItsTargets() {
        RestoreClaims.Claim held = claims.claim(List.of(target("/restores/b.qcow2")));
        assertThrows(BackupException.class,
                () -> claims.claim(List.of(target("/restores/a.qcow2"), target("/restores/b.qcow2"))));
        claims.claim(List.of(target("/restores/a.qcow2"))).close(); // a was claimed, then let go with the refusal
        held.close();
    }

    private static RestoreTarget target(String file) {
        Path path = Path.of(file);
        return new RestoreTarget(new BackupDisk(path.getFileName().toString().substring(0, 1), "qcow2",
                "/backups/" + path.getFileName(), 1024, 0), path, "qcow2");
    }
}
