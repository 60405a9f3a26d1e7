package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
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
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.api.VerifyResult;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Twin;

/**
 * Backups into a repository (deduplicated, compressed chunks; every backup a full point): of a
 * running and a shut-off guest, full and incremental, each restoring as the disk at its moment,
 * whatever is deleted or collected around it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RepositoryIT extends RepositoryTestSupport {

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
                    url.substring("file://".length())).resolve("packs")));
            backups.setDefaultTarget(guest.name(), BackupTarget.global(), Set.of());
        }
    }

    @Test
    public void aShutOffGuestBacksUpFromItsImagesFullThenIncremental() throws Exception {
        BackupService backups = backupService();
        String url = repository("offline");
        try (Guest guest = Guest.start(workDir(), "it-repo-off", SIZE)) {
            Path expected = Images.create(guest.workDir().resolve("expected.qcow2"), SIZE);
            guest.shutOff();
            offline(guest, expected, 0x31, 0, 6 * MiB);
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup full = backup(backups, guest, null, Set.of());
            Path fullExpected = Files.copy(expected, guest.workDir().resolve("full.qcow2"));
            assertEquals("a shut-off domain's full backup makes a checkpoint for the next one", List.of(full.checkpoint()),
                    guest.checkpoints());

            offline(guest, expected, 0x32, 2 * MiB, 1 * MiB);
            offline(guest, expected, 0x33, 50 * MiB, 2 * MiB);
            Backup incremental = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(BackupKind.INCREMENTAL, incremental.kind());
            assertEquals(full.uuid(), incremental.parent());
            assertTrue("the dirty bitmap said what to read: " + incremental.disks(),
                    incremental.disks().get(0).stored() < 1 * MiB);

            Path out = scratchDir("repo-offline");
            assertRestores(backups, full, out.resolve("full.qcow2"), fullExpected, "qcow2");
            assertRestores(backups, incremental, out.resolve("incremental.qcow2"), expected, "qcow2");
            assertEquals("no qemu-nbd is left on the guest's image", List.of(), copiesOf(guest.workDir()));
            backups.delete(full.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.collect(url);
        }
    }

    @Test
    public void aUefiGuestsNvramAndTpmStateGoIntoTheRepositoryAndComeBackWithARestore() throws Exception {
        BackupService backups = backupService();
        String url = repository("firmware");
        try (Guest guest = Guest.startUefiWithTpm(workDir(), "it-repo-uefi", 16 * MiB)) {
            guest.shutOff(); // libvirt made the NVRAM, swtpm its state, at the start
            Path nvram = guest.workDir().resolve(guest.name() + "_VARS.fd");
            String uuid = Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip();
            Path tpm = Path.of("/var/lib/libvirt/swtpm", uuid, "tpm2", "tpm2-00.permall");
            byte[] nvramAtBackup = Files.readAllBytes(nvram);
            nvramAtBackup[nvramAtBackup.length - 9] ^= 0x33; // a variable the guest set
            Files.write(nvram, nvramAtBackup);
            byte[] tpmAtBackup = Files.readAllBytes(tpm);

            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup b = backup(backups, guest, null, Set.of());
            assertEquals(List.of("nvram.fd", "tpm2-00.permall"), b.firmware().stream().map(f -> f.name()).toList());
            assertTrue("verification reads the firmware state's chunks too", backups.verify(b.uuid()).whole());
            Files.write(nvram, new byte[nvramAtBackup.length]);
            Files.write(tpm, new byte[tpmAtBackup.length]);

            backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid></domainbackup>",
                    EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK));
            org.junit.Assert.assertArrayEquals("the NVRAM is put back from the repository", nvramAtBackup,
                    Files.readAllBytes(nvram));
            org.junit.Assert.assertArrayEquals("and the TPM's state", tpmAtBackup, Files.readAllBytes(tpm));

            RestoreResult copy = backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid></domainbackup>",
                    EnumSet.of(RestoreFlag.NEW_DOMAIN));
            try {
                org.junit.Assert.assertArrayEquals(nvramAtBackup, Files.readAllBytes(
                        nvram.resolveSibling(copy.domain().name() + "_VARS.fd")));
                org.junit.Assert.assertArrayEquals(tpmAtBackup, Files.readAllBytes(Path.of("/var/lib/libvirt/swtpm",
                        copy.domain().uuid().toString(), "tpm2", "tpm2-00.permall")));
            } finally {
                Cmd.run("virsh", "-c", Guest.URI, "undefine", copy.domain().name(), "--nvram");
                Cmd.run("rm", "-f", copy.disks().get(0).path());
            }
            backups.delete(b.uuid(), Set.of());
            backups.collect(url);
        }
    }

    @Test
    public void aRawDiskRestoresAsASparseRawImage() throws Exception {
        BackupService backups = backupService();
        String url = repository("raw");
        try (Guest guest = Guest.startQcow2AndRaw(workDir(), "it-repo-raw", 16 * MiB, 32 * MiB)) {
            guest.write(1, 0x41, 3 * MiB, 1 * MiB);
            guest.write(1, 0x42, 20 * MiB, 2 * MiB);
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup b = backup(backups, guest, null, Set.of());
            assertEquals("raw disks have no bitmaps: no checkpoint", null, b.checkpoint());
            Path out = scratchDir("repo-raw");
            Path vdb = out.resolve("vdb.raw");
            RestoreResult r = backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid><disks><disk name='vdb'><target file='"
                    + vdb + "'/></disk></disks></domainbackup>", EnumSet.of(RestoreFlag.VERIFY));
            assertEquals(Boolean.TRUE, r.disks().get(0).verified());
            assertEquals(32 * MiB, Files.size(vdb));
            assertTrue(Images.holdsRaw(vdb, 0x41, 3 * MiB, 1 * MiB) && Images.holdsRaw(vdb, 0x42, 20 * MiB, 2 * MiB)
                    && Images.holdsRaw(vdb, 0, 0, 3 * MiB) && Images.holdsRaw(vdb, 0, 22 * MiB, 10 * MiB));
            long allocated = Long.parseLong(Cmd.ok("stat", "-c", "%b", vdb.toString()).strip()) * 512;
            assertTrue("sparse: only the written MiB are allocated: " + allocated, allocated <= 4 * MiB);
            backups.delete(b.uuid(), Set.of());
            backups.collect(url);
        }
    }

    @Test
    public void aDamagedChunkMarksEveryBackupNamingItAndTheNextBackupRepairsIt() throws Exception {
        BackupService backups = backupService();
        String url = repository("damage");
        try (Guest guest = Guest.startWithPatterns(workDir(), "it-repo-damage", 16 * MiB, 8)) {
            Path expected = guest.workDir().resolve("expected.qcow2");
            Files.copy(guest.disk(0), expected); // nothing written since the start
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup first = backup(backups, guest, null, Set.of());
            Backup second = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            VerifyResult whole = backups.verify(first.uuid());
            assertTrue(whole.toString(), whole.whole() && whole.chunks() == 8 && whole.bytes() == 8 * MiB);

            // Corrupt one chunk both name: flip a bit in the middle of the chunks of their one pack,
            // before its table (whose length the pack's last 4 bytes give).
            Path victim;
            try (var files = Files.walk(repositoryDirectory(url).resolve("packs"))) {
                List<Path> packs = files.filter(Files::isRegularFile).toList();
                assertEquals("the backups' 8 chunks fill one pack: " + packs, 1, packs.size());
                victim = packs.get(0);
            }
            byte[] bytes = Files.readAllBytes(victim);
            int table = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
            bytes[(bytes.length - 4 - table) / 2] ^= 0x10;
            Files.write(victim, bytes);

            VerifyResult damaged = backups.verify(first.uuid());
            assertFalse(damaged.whole());
            assertEquals(1, damaged.damaged().size());
            assertTrue(damaged.damaged().get(0), damaged.damaged().get(0).contains(victim.getFileName().toString()));
            assertEquals(Set.of(first.uuid(), second.uuid()), Set.copyOf(damaged.damagedBackups()));
            assertTrue(backups.lookup(first.uuid()).orElseThrow().damaged());
            assertTrue(backups.list(guest.name(), Set.of()).stream().allMatch(Backup::damaged));
            assertTrue(backups.getXmlDesc(second.uuid(), Set.of()).contains("<damaged>yes</damaged>"));
            assertTrue(executeCommand("backup:list " + guest.name()).contains("DAMAGED"));

            // A restore of a damaged backup fails, and leaves nothing.
            Path out = scratchDir("repo-damage");
            Path target = out.resolve("damaged.qcow2");
            expectError(ErrorCode.IO_ERROR, () -> backups.restore("<domainbackup><uuid>" + first.uuid()
                    + "</uuid><disks><disk name='vda'><target file='" + target + "'/></disk></disks></domainbackup>", Set.of()));
            assertEquals(List.of(), filesUnder(out));

            // The next backup reads the damaged chunk's data from the disk instead of naming it: repaired.
            Backup third = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(second.uuid(), third.parent());
            assertTrue(backups.list(guest.name(), Set.of()).stream().noneMatch(Backup::damaged));
            assertTrue(backups.verify(first.uuid()).whole());
            assertRestores(backups, first, out.resolve("repaired.qcow2"), expected, "qcow2");
            String shell = executeCommand("backup:verify --all");
            assertTrue(shell, shell.contains("3 backups verified, 0 damaged") || shell.contains(" 0 damaged"));
            backups.delete(first.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.collect(url);
        }
    }

    @Test
    public void aCollectionDuringABackupKeepsWhatItNamesAndACancelledBackupLeavesNothing() throws Exception {
        BackupService backups = backupService();
        String url = repository("gc-race");
        // The twin: 250 MiB of distinct patterns. The guest: the same 250 MiB, then 650 MiB of random
        // data of its own, so that its backup runs on long after it has named the shared chunks, and
        // none of them comes again to be stored anew: only the pins keep them.
        Path random = Images.randomFile(scratchDir("repo-gc-data").resolve("random.bin"), 650);
        try (Guest twin = Guest.startWithPatterns(workDir(), "it-repo-gc-twin", 1024 * MiB, 250);
                Guest guest = Guest.startFilled(workDir(), "it-repo-gc", 1024 * MiB, image -> {
                    Images.writePatterns(image, 250);
                    Images.writeFile(image, random, 250 * MiB);
                })) {
            Files.delete(random);
            Path expected = guest.workDir().resolve("expected.qcow2");
            Files.copy(guest.disk(0), expected);
            backups.setDefaultTarget(twin.name(), BackupTarget.repository(url), Set.of());
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            // The twin's backup stores the chunks; the guest's backup finds them and names them...
            Backup gone = backup(backups, twin, null, Set.of());
            AtomicInteger during = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong removed = new AtomicLong();
            Backup b = backups.create(guest.name(), (String) null, Set.of());
            // Once it has named the shared chunks (found stored: the twin's; 124 MiB of holes count first)...
            waitUntil("the backup is past the shared data", 60, () -> (Long) backups.getParameters(b.uuid())
                    .get(BackupParameters.BYTES_PROCESSED) > 400 * MiB
                    || backups.lookup(b.uuid()).map(x -> x.state() != JobState.RUNNING).orElse(true));
            // ...while the twin's backup goes, so that only the running backup will name them: collect all the while.
            backups.delete(gone.uuid(), Set.of());
            Thread collector = new Thread(() -> {
                while (running.get()) {
                    boolean before = backups.lookup(b.uuid()).map(x -> x.state() == JobState.RUNNING).orElse(false);
                    removed.addAndGet(backups.collect(url).get(0).chunksRemoved());
                    if (before && backups.lookup(b.uuid()).map(x -> x.state() == JobState.RUNNING).orElse(false)) {
                        during.incrementAndGet();
                    }
                }
            });
            collector.start();
            try {
                assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
            } finally {
                running.set(false);
                collector.join();
            }
            assertTrue("no collection ran wholly inside the backup: make the guest's data larger", during.get() > 0);
            long named = (Long) backups.getParameters(b.uuid()).get(BackupParameters.BYTES_DEDUPLICATED);
            assertTrue("the backup named chunks it found stored (" + named + " bytes); collections removed the "
                    + removed.get() + " it had not reached", named > 0);
            assertTrue("every chunk the backup named was kept", backups.verify(b.uuid()).whole());
            assertRestores(backups, backups.lookup(b.uuid()).orElseThrow(), scratchDir("repo-gc").resolve("b.qcow2"),
                    expected, "qcow2", 1024 * MiB);

            // A cancelled backup: nothing of it is listed, and its chunks go at the next collection.
            backups.delete(b.uuid(), Set.of());
            backups.collect(url);
            assertEquals(List.of(), filesUnder(repositoryDirectory(url).resolve("packs")));
            Backup cancelled = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.CANCELLED, backups.finishJob(cancelled.uuid(), EnumSet.of(FinishJobFlag.CANCEL)));
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            assertEquals("no checkpoint is left", List.of(), guest.checkpoints());
            backups.collect(url);
            assertEquals(List.of(), filesUnder(repositoryDirectory(url).resolve("packs")));
            assertEquals(List.of(), filesUnder(repositoryDirectory(url).resolve("indexes")));
        }
    }

    @Test
    public void aStopOfTheImplementationMidBackupIsPromptAndTheNextInstanceFailsTheBackup() throws Exception {
        BackupService backups = backupService();
        String url = repository("stop");
        // One pattern throughout: after the first chunk every read finds its chunk stored, so the
        // streams never write. The bound below catches a stop that waits out the provider's 30 s;
        // on a disk this small it cannot tell a stop at the next chunk from one at the disk's end.
        try (Guest guest = Guest.startWithData(workDir(), "it-repo-stop", 4096 * MiB, 3072 * MiB)) {
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup b = backups.create(guest.name(), (String) null, Set.of());
            waitUntil("the backup reads", 60, () -> (Long) backups.getParameters(b.uuid())
                    .get(BackupParameters.BYTES_PROCESSED) > 0);
            Bundle impl = implementationBundle();
            long begin = System.nanoTime();
            impl.stop();
            long stopping = (System.nanoTime() - begin) / 1_000_000;
            impl.start();
            // The provider waits up to 30 s for its job threads: a stop that waited that out fails here.
            assertTrue("stopping the implementation took " + stopping + " ms", stopping < 15_000);

            BackupService service = backupService();
            // It must still have been reading when the bundle stopped.
            awaitFailed(service, b.uuid(), "interrupted by a restart");
            assertNoLibvirtJob(guest.name());
            assertEquals("no manifest names it", List.of(), filesUnder(repositoryDirectory(url).resolve("manifests")));

            Backup next = backup(service, guest, null, Set.of());
            assertTrue("the next backup is whole", service.verify(next.uuid()).whole());
            service.delete(next.uuid(), Set.of());
            service.delete(b.uuid(), Set.of());
            service.collect(url);
        }
    }

    @Test
    public void twoGuestsClonedFromOneImageShareTheirChunks() throws Exception {
        BackupService backups = backupService();
        String url = repository("dedup");
        try (Guest a = Guest.startWithPatterns(workDir(), "it-repo-a", 64 * MiB, 32);
                Guest b = Guest.startWithPatterns(workDir(), "it-repo-b", 64 * MiB, 32)) {
            for (int i = 0; i < 4; i++) {
                b.write(0, 0xf1 + i, (40 + i) * MiB, 1 * MiB); // b differs from a by 4 MiB of its own
            }
            b.write(0, 0xf8, 8 * MiB, 1 * MiB);  // ...and 1 MiB over the shared data
            backups.setDefaultTarget(a.name(), BackupTarget.repository(url), Set.of());
            backups.setDefaultTarget(b.name(), BackupTarget.repository(url), Set.of());
            Backup first = backup(backups, a, null, Set.of());
            Backup second = backup(backups, b, null, Set.of());
            assertEquals("a's 32 MiB are its own", 0L, backups.getParameters(first.uuid()).get(BackupParameters.BYTES_DEDUPLICATED));
            assertEquals("b finds 31 of its MiB stored by a", 31 * MiB,
                    backups.getParameters(second.uuid()).get(BackupParameters.BYTES_DEDUPLICATED));
            long firstStored = (Long) backups.getParameters(first.uuid()).get(BackupParameters.BYTES_STORED);
            long secondStored = (Long) backups.getParameters(second.uuid()).get(BackupParameters.BYTES_STORED);
            assertTrue("b stores 5 chunks, a 32: " + secondStored + " vs " + firstStored, secondStored * 4 < firstStored);
            backups.delete(first.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.delete(second.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.collect(url);
        }
    }

    @Test
    public void eventsTreeFlagsAndAnInPlaceRestoreWorkForRepositoryBackups() throws Exception {
        List<org.osgi.service.event.Event> seen = Collections.synchronizedList(new ArrayList<>());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(org.osgi.service.event.EventConstants.EVENT_TOPIC, org.virtbackup.api.BackupEvents.TOPIC_ALL);
        var reg = bundleContext.registerService(org.osgi.service.event.EventHandler.class, seen::add, props);
        BackupService backups = backupService();
        String url = repository("flags");
        try (Guest guest = Guest.start(workDir(), "it-repo-flags", SIZE)) {
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Twin twin = new Twin(guest, SIZE);
            twin.write(0x61, 0, 4 * MiB);
            Backup a = backup(backups, guest, null, Set.of());
            Path aExpected = twin.snapshot();
            twin.write(0x62, 8 * MiB, 2 * MiB);
            Backup b = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            twin.write(0x63, 16 * MiB, 2 * MiB);
            Backup c = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            assertEquals(a.uuid(), b.parent());
            assertEquals(b.uuid(), c.parent());

            // Events as for any backup: started, completed with what it stored, deleted.
            waitUntil("the completion of " + a.uuid() + " is posted", 10, () -> topics(seen, a.uuid())
                    .contains(org.virtbackup.api.BackupEvents.COMPLETED));
            assertEquals(org.virtbackup.api.BackupEvents.STARTED, topics(seen, a.uuid()).get(0));

            // METADATA_ONLY: the manifest goes, the chunks wait for a collection.
            List<String> before = filesUnder(repositoryDirectory(url).resolve("packs"));
            backups.delete(c.uuid(), EnumSet.of(DeleteFlag.METADATA_ONLY));
            assertTrue(backups.lookup(c.uuid()).isEmpty());
            assertFalse(Files.exists(repositoryDirectory(url).resolve("manifests").resolve(c.uuid().toString())));
            assertEquals(before, filesUnder(repositoryDirectory(url).resolve("packs")));
            assertTrue("its chunk goes at the collection", backups.collect(url).get(0).chunksRemoved() > 0);

            // In place: the shut-off guest's disk is rewritten with a backup point, verified.
            guest.shutOff();
            RestoreResult r = backups.restore("<domainbackup><uuid>" + a.uuid() + "</uuid></domainbackup>",
                    EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK, RestoreFlag.VERIFY));
            assertEquals(Boolean.TRUE, r.disks().get(0).verified());
            assertEquals(guest.disk(0).toString(), r.disks().get(0).path());
            assertEquals(0, Cmd.run("qemu-img", "compare", guest.disk(0).toString(), aExpected.toString()).exitCode());

            // ALL_CHILDREN: the backup and its subtree.
            backups.delete(a.uuid(), EnumSet.of(DeleteFlag.ALL_CHILDREN));
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            waitUntil("the deletion of " + b.uuid() + " is posted", 10, () -> topics(seen, b.uuid())
                    .contains(org.virtbackup.api.BackupEvents.DELETED));
            backups.collect(url);
            assertEquals(List.of(), filesUnder(repositoryDirectory(url).resolve("packs")));
        } finally {
            reg.unregister();
        }
    }

    private static List<String> topics(List<org.osgi.service.event.Event> seen, UUID backup) {
        synchronized (seen) {
            return seen.stream().filter(e -> backup.toString().equals(e.getProperty(org.virtbackup.api.BackupEvents.BACKUP)))
                    .map(org.osgi.service.event.Event::getTopic).toList();
        }
    }

    @Test
    public void aPlainRepositoryHoldsTheGuestsDataAsItIs() throws Exception {
        // The control of RepositoryEncryptionIT's search: without a key, random data is found as it was written.
        Path dir = scratchDir("repo-plain");
        byte[] secret = new byte[(int) MiB];
        new java.security.SecureRandom().nextBytes(secret);
        Path secretFile = Files.write(dir.resolve("secret.bin"), secret);
        BackupService backups = backupService();
        String url = repository("plain");
        try (Guest guest = Guest.startFilled(workDir(), "it-repo-plain", SIZE, image -> Images.writeFile(image, secretFile, 8 * MiB))) {
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup b = backup(backups, guest, null, Set.of());
            assertTrue("the search finds the data in a plain repository",
                    holds(repositoryDirectory(url), Arrays.copyOfRange(secret, 4096, 4096 + 48)));
            assertTrue(Files.readString(repositoryDirectory(url).resolve("config")).contains("encryption=none"));
            backups.delete(b.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.collect(url);
        }
    }

    /** Writes into a shut-off guest's image (its bitmaps record it) and into the expected image. */
    private static void offline(Guest guest, Path expected, int pattern, long offset, long length) {
        Images.write(guest.disk(0), pattern, offset, length);
        Images.write(expected, pattern, offset, length);
    }
}
