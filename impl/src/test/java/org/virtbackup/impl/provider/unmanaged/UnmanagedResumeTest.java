package org.virtbackup.impl.provider.unmanaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.NbdExport;
import org.virtbackup.impl.config.Configurations;
import org.virtbackup.impl.fakes.FakeDomain;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.spi.BackupJob;
import org.virtbackup.spi.JobResult;
import org.virtbackup.spi.JobSpec;

/** An export a stop left open, taken up by the next provider. */
class UnmanagedResumeTest {

    @TempDir
    Path tmp;

    private final FakeLibvirt libvirt = new FakeLibvirt();
    private UnmanagedBackupProvider provider;

    private UnmanagedBackupProvider provider() {
        provider = new UnmanagedBackupProvider(libvirt, Configurations.of(Map.of(
                "runtime.directory", tmp.resolve("run").toString(), "scratch.directory", tmp.resolve("scratch").toString())));
        return provider;
    }

    @AfterEach
    void stop() {
        if (provider != null) {
            provider.deactivate();
        }
    }

    private static JobSpec spec(FakeDomain domain, UUID uuid, NbdExport export) {
        Backup b = new Backup(uuid, domain.ref, "", Instant.now(), null, null, BackupKind.FULL, BackupMode.UNMANAGED,
                JobState.RUNNING, "vb-" + uuid, "", List.of(new BackupDisk("vda", "qcow2", "", 1 << 20, 0, export)));
        return new JobSpec(b, domain.xml, null, Set.of(), null);
    }

    @Test
    void aLibvirtdNotAnsweringYetFailsNoExport() {
        FakeDomain domain = libvirt.add(new FakeDomain("vm1", "/dev/null"));
        UUID uuid = UUID.randomUUID();
        JobSpec spec = spec(domain, uuid, new NbdExport("nbd+unix:///vda?socket=" + tmp.resolve("run/" + uuid + ".sock"), "vda", ""));
        libvirt.down = true; // the host starting: libvirtd not up yet
        BackupException e = assertThrows(BackupException.class, () -> provider().resume(spec));
        assertEquals(ErrorCode.LIBVIRT_ERROR, e.code(), "thrown, so the resumer asks again; not recorded failed");
    }

    @Test
    void anExportWhoseStartWasCutShortHasItsLibvirtJobEnded() throws Exception {
        FakeDomain domain = libvirt.add(new FakeDomain("vm1", "/dev/null"));
        UUID uuid = UUID.randomUUID();
        domain.backupJob = "<domainbackup mode='pull'><scratch file='/s/" + uuid + "-vda.scratch'/></domainbackup>";
        BackupJob job = provider().resume(spec(domain, uuid, null)).orElseThrow();
        JobResult r = job.result().toCompletableFuture().get();
        assertEquals(JobState.FAILED, r.state());
        assertTrue(r.message().contains("stopped while the export started; its libvirt job was ended"), r.message());
        assertEquals(1, domain.aborts, "the job naming the backup was aborted: the domain is free for the next backup");
    }
}
