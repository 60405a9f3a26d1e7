package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CollectResult;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Twin;

/**
 * Backups into a repository (deduplicated, compressed chunks; every backup a full point): of a
 * running and a shut-off guest, full and incremental, each restoring as the disk at its moment,
 * whatever is deleted or collected around it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RepositoryIT extends BackupTestSupport {

    private static final long SIZE = 64 * MiB;

    @Test
    public void fullAndIncrementalBackupsOfARunningGuestEachRestoreWholeAndGoAlone() throws Exception {
        BackupService backups = backupService();
        String url = repository("running");
        try (Guest guest = Guest.start(workDir(), "it-repo", SIZE)) {
            backups.setDefaultTarget(guest.name(), "<target type='repository'><url>" + url + "</url></target>", Set.of());
            assertEquals("<target type='repository'><url>" + url + "</url></target>",
                    backups.getDefaultTarget(guest.name()).orElseThrow());
            Twin twin = new Twin(guest, SIZE);
            twin.write(0x11, 0, 8 * MiB);
            twin.write(0x12, 40 * MiB, 3 * MiB);
            Backup full = backup(backups, guest, null, Set.of());
            Path fullExpected = twin.snapshot();
            assertEquals(BackupKind.FULL, full.kind());
            assertTrue(full.inRepository());
            assertEquals(url, full.disks().get(0).target());
            String desc = backups.getXmlDesc(full.uuid(), Set.of());
            assertTrue(desc, desc.contains("repository=") && desc.contains(url));

            twin.write(0x21, 4 * MiB, 1 * MiB);     // over earlier data
            twin.write(0x22, 20 * MiB, 2 * MiB);    // new data
            twin.write(0x23, 40 * MiB, 3 * MiB);    // all of 0x12 gone: only the full backup names its chunk
            Backup incremental = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            Path incrementalExpected = twin.snapshot();
            assertEquals(BackupKind.INCREMENTAL, incremental.kind());
            assertEquals(full.uuid(), incremental.parent());
            Map<String, Object> params = backups.getParameters(incremental.uuid());
            long stored = (Long) params.get(BackupParameters.BYTES_STORED);
            assertTrue("an incremental stores what changed, compressed: " + params, stored > 0 && stored < 4 * MiB);
            assertNotNull(params.toString(), params.get(BackupParameters.BYTES_DEDUPLICATED));

            Path out = scratchDir("repo-restore");
            assertRestores(backups, full, out.resolve("full.qcow2"), fullExpected, "qcow2");
            assertRestores(backups, incremental, out.resolve("incremental.qcow2"), incrementalExpected, "qcow2");

            // Every backup is a full point: the parent goes alone, its child still restores whole.
            backups.delete(full.uuid(), Set.of());
            assertTrue(backups.lookup(full.uuid()).isEmpty());
            assertFalse(guest.checkpoints().contains(full.checkpoint()));
            List<CollectResult> collected = backups.collect(url);
            assertEquals(1, collected.size());
            assertTrue("the full backup's own chunks go: " + collected, collected.get(0).chunksRemoved() > 0);
            assertRestores(backups, incremental, out.resolve("after-gc.qcow2"), incrementalExpected, "qcow2");

            // An instant restore needs images: refused, saying why.
            BackupException refused = expectError(ErrorCode.NOT_SUPPORTED, () -> backups.restore("<domainbackup><uuid>"
                    + incremental.uuid() + "</uuid></domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.INSTANT)));
            assertTrue(refused.getMessage(), refused.getMessage().contains("repository"));

            // MERGE has nothing to fold: it deletes.
            backups.delete(incremental.uuid(), EnumSet.of(DeleteFlag.MERGE));
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            assertEquals("no checkpoint is left in libvirt", List.of(), guest.checkpoints());
            backups.collect(url);
            assertEquals("nothing of the domain stays after a collection", List.of(), filesUnder(Path.of(
                    url.substring("file://".length())).resolve("chunks")));
            backups.setDefaultTarget(guest.name(), BackupTarget.global(), Set.of());
        }
    }

    /** Restores the backup's disk vda into a new image and checks it against what the disk held. */
    private void assertRestores(BackupService backups, Backup b, Path target, Path expected, String format) {
        RestoreResult r = backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid><disks><disk name='vda'><target file='"
                + target + "'/></disk></disks></domainbackup>", EnumSet.of(RestoreFlag.VERIFY));
        assertEquals(Boolean.TRUE, r.disks().get(0).verified());
        Cmd.Result c = Cmd.run("qemu-img", "compare", "-f", format, "-F", "qcow2", target.toString(), expected.toString());
        assertEquals("qemu-img compare " + target + " " + expected + ":\n" + c.output(), 0, c.exitCode());
        if (format.equals("raw")) {
            assertEquals(SIZE, target.toFile().length());
        }
    }

    /** A new repository's URL, inside the configured target roots. */
    private String repository(String name) {
        return "file://" + Path.of(System.getProperty("karaf.data"), "virt-backup-targets", name + "-"
                + UUID.randomUUID().toString().substring(0, 8));
    }
}
