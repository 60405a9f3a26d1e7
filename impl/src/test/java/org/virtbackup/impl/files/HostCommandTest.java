package org.virtbackup.impl.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;

/** Host programs run with their output apart from their errors, and failures that say which step failed. */
class HostCommandTest {

    @Test
    void outputAndErrorsStayApart() {
        HostCommand.Result r = HostCommand.attempt("sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, r.exit());
        assertEquals("out\n", r.output());
        assertEquals("err\n", r.errors());
    }

    @Test
    void aFailingProgramIsNamedWithWhatItSaid() {
        BackupException e = assertThrows(BackupException.class, () -> HostCommand.run("sh", "-c", "echo broken >&2; exit 2"));
        assertTrue(e.getMessage().contains("failed (exit 2): broken"), e.getMessage());
    }

    @Test
    void aMissingProgramIsReportedAsMissing() {
        BackupException e = assertThrows(BackupException.class, () -> HostCommand.run("virt-backup-no-such-program"));
        assertTrue(e.getMessage().startsWith("cannot run virt-backup-no-such-program (install it"), e.getMessage());
    }
}
