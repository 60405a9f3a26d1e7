package org.virtbackup.impl.provider.unmanaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.provider.nbd.NbdListener;
import org.virtbackup.impl.provider.nbd.PullExport;
import org.virtbackup.spi.JobResult;

/** The periodic check of an export a third party reads. */
class UnmanagedExportTest {

    private static final String MARKER = "4f1d2a9e-6c1b-4c1e-8a44-0d6f2c9b7a10";

    @TempDir
    Path tmp;

    @Test
    void aFinishAfterTheExportWentUnseenIsNoCompletedBackup() throws Exception {
        FakeDomain domain = new FakeDomain("vm1", tmp.resolve("vm1.qcow2").toString());
        domain.backupJob = "<domainbackup mode='pull'><scratch file='/s/" + MARKER + "-vda.scratch'/></domainbackup>";
        UnmanagedExport job = new UnmanagedExport(PullExport.attach(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER),
                domain, List.of(), null, Duration.ZERO);
        domain.backupJob = null; // the domain stopped, and no check ran since
        job.end();
        JobResult r = job.result().toCompletableFuture().get();
        assertEquals(JobState.FAILED, r.state());
        assertTrue(r.message().contains("before finishJob ended it"), r.message());
    }

    @Test
    void aFinishOfALiveExportCompletesIt() throws Exception {
        FakeDomain domain = new FakeDomain("vm1", tmp.resolve("vm1.qcow2").toString());
        domain.backupJob = "<domainbackup mode='pull'><scratch file='/s/" + MARKER + "-vda.scratch'/></domainbackup>";
        UnmanagedExport job = new UnmanagedExport(PullExport.attach(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER),
                domain, List.of(), null, Duration.ZERO);
        job.end();
        assertEquals(JobState.COMPLETED, job.result().toCompletableFuture().get().state());
        assertEquals(1, domain.aborts, "its libvirt job ended");
    }

    @Test
    void aCheckLibvirtCannotAnswerIsTriedAgainAndTheNextOneStillSeesTheJobGo() throws Exception {
        FakeDomain domain = new FakeDomain("vm1", tmp.resolve("vm1.qcow2").toString());
        domain.backupJob = "<domainbackup mode='pull'><scratch file='/s/" + MARKER + "-vda.scratch'/></domainbackup>";
        PullExport export = PullExport.attach(domain, NbdListener.unix(tmp.resolve("b.sock")), MARKER);
        UnmanagedExport job = new UnmanagedExport(export, domain, List.of(), null, Duration.ZERO);

        domain.backupXmlFailure = new IllegalStateException("libvirt answered nothing"); // not a BackupException
        assertFalse(job.check(), "nothing known: the export goes on, checked again later");
        assertFalse(job.result().toCompletableFuture().isDone());
        domain.backupXmlFailure = new Error("Invalid memory access"); // what JNA throws
        assertFalse(job.check());
        assertFalse(job.result().toCompletableFuture().isDone());

        domain.backupXmlFailure = null;
        domain.backupJob = null; // the domain stopped meanwhile
        assertTrue(job.check());
        JobResult r = job.result().toCompletableFuture().get();
        assertEquals(JobState.FAILED, r.state());
        assertTrue(r.message().contains("ended without finishJob"), r.message());
    }
}
