package org.virtbackup.impl.provider.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;

/** How a pull job's end reports a libvirt job that will not go. */
class PullExportTest {

    private static final String MARKER = "0b7c4a44-2f0e-4b4b-9c55-5d1f0c1a7e01";

    @TempDir
    Path tmp;

    private FakeDomain runningJob() {
        FakeDomain domain = new FakeDomain("vm1", tmp.resolve("vm1.qcow2").toString());
        domain.backupJob = "<domainbackup mode='pull'><scratch file='/s/" + MARKER + "-vda.scratch'/></domainbackup>";
        return domain;
    }

    @Test
    void anEndedJobLeavesNothingToDo() throws Exception {
        FakeDomain domain = runningJob();
        Path socket = Files.createFile(tmp.resolve("b.sock"));
        PullExport export = new PullExport(domain, NbdListener.unix(socket), MARKER, Duration.ofSeconds(5));
        assertEquals(Optional.empty(), export.end());
        assertEquals(1, domain.aborts);
        assertFalse(Files.exists(socket), "the socket file QEMU leaves is removed");
    }

    @Test
    void anInterruptedCallerStillSeesTheJobEndAndKeepsItsInterrupt() {
        FakeDomain domain = runningJob();
        PullExport export = new PullExport(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER, Duration.ofSeconds(5));
        Thread.currentThread().interrupt();
        try {
            assertEquals(Optional.empty(), export.end(), "it ended at the abort: nothing left to say");
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt is the caller's still");
        }
    }

    @Test
    void aJobThatOutlivesTheDeadlineIsNamedWithHowToEndIt() {
        FakeDomain domain = runningJob();
        domain.abortEndsJob = false;
        PullExport export = new PullExport(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER,
                Duration.ofMillis(200));
        String left = export.end().orElseThrow();
        assertTrue(left.contains("virsh domjobabort vm1"), left);
        assertEquals(1, domain.aborts, "aborted once, then waited for");
    }

    @Test
    void anotherBackupsJobIsNotEnded() {
        FakeDomain domain = runningJob();
        domain.backupJob = domain.backupJob.replace(MARKER, "another-backup");
        assertFalse(PullExport.endIfRunning(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER));
        assertEquals(0, domain.aborts);
    }

    @Test
    void aJobLeftBehindThatStaysIsAnErrorNamingTheWayOut() {
        FakeDomain domain = runningJob();
        domain.abortEndsJob = false;
        PullExport export = new PullExport(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER, Duration.ofMillis(50));
        BackupException e = assertThrows(BackupException.class, export::endIfRunning);
        assertEquals(ErrorCode.INVALID_STATE, e.code());
        assertTrue(e.getMessage().contains("virsh domjobabort vm1"), e.getMessage());
    }

    @Test
    void aJobLeftBehindIsEnded() {
        FakeDomain domain = runningJob();
        assertTrue(new PullExport(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER, Duration.ofSeconds(5))
                .endIfRunning());
        assertEquals(null, domain.backupJob);
    }

    @Test
    void anExportWhoseSocketCannotBeRestrictedEndsItsJobAndDropsItsCheckpoint() {
        FakeDomain domain = new FakeDomain("vm1", tmp.resolve("vm1.qcow2").toString());
        UUID backup = UUID.fromString(MARKER);
        List<DomainDisk> disks = DomainXml.disks(domain.xml);
        // The fake serves nothing: no socket appears where QEMU would make it, so it cannot be restricted.
        ExportPlan plan = new ExportPlan(backup, disks, Set.of("vda"), NbdListener.unix(tmp.resolve("gone.sock")), tmp,
                null, "vb-" + backup, false, 0);
        BackupException e = assertThrows(BackupException.class, () -> PullExport.begin(domain, plan));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("cannot restrict the NBD socket"), e.getMessage());
        assertEquals(1, domain.aborts, "its libvirt job ended");
        assertEquals(List.of("vb-" + backup), domain.deletedCheckpoints, "and the checkpoint made with it is gone");
    }
}
