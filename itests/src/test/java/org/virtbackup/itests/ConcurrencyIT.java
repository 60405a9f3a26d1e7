package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Twin;

/**
 * Operators racing each other on one domain, with real threads on the real service: whatever
 * order the operations take, every backup point still reads as its disk at its moment, and the
 * catalogue lists exactly the backups whose files exist.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConcurrencyIT extends BackupTestSupport {

    private static final long SIZE = 64 * MiB;

    @Test
    public void twoMergesInOneChainTakeTurns() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-merges", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            Map<UUID, Path> points = new HashMap<>();
            List<Backup> chain = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                twin.write(0x20 + i, i * 8 * MiB, 4 * MiB);
                twin.write(0xa0 + i, 2 * MiB, MiB); // each overwrites the last
                Backup b = backup(backups, guest, i == 0 ? null : chain.get(i - 1).uuid(), Set.of());
                chain.add(b);
                points.put(b.uuid(), twin.snapshot());
            }
            // Adjacent merges: each rebases a child of the other; interleaved they would break the chain.
            List<Outcome<Void>> outcomes = race(
                    () -> merge(backups, chain.get(1)),
                    () -> merge(backups, chain.get(2)),
                    () -> merge(backups, chain.get(3)));
            for (int i = 0; i < outcomes.size(); i++) {
                Backup merged = chain.get(i + 1);
                outcomes.get(i).requireOkOr(ErrorCode.DOMAIN_BUSY);
                if (outcomes.get(i).ok()) {
                    points.remove(merged.uuid());
                }
            }
            assertEveryPointReadsAsItsMoment(backups, guest, points);
            Backup last = backups.lookup(chain.get(4).uuid()).orElseThrow();
            assertEquals("the leaf's parent chain ends at the full backup", chain.get(0).uuid(), root(backups, last).uuid());
            backups.delete(chain.get(0).uuid(), EnumSet.of(DeleteFlag.ALL));
        }
    }

    @Test
    public void aDeleteRacingAnIncrementalOnItsParentLeavesAWholeTree() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-delrace", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            Map<UUID, Path> points = new HashMap<>();
            twin.write(0x31, 0, 8 * MiB);
            Backup full = backup(backups, guest, null, Set.of());
            points.put(full.uuid(), twin.snapshot());
            for (int round = 0; round < 3; round++) {
                twin.write(0x40 + round, (10 + round) * MiB, MiB);
                Backup parent = backup(backups, guest, full.uuid(), Set.of());
                points.put(parent.uuid(), twin.snapshot());
                twin.write(0x50 + round, (20 + round) * MiB, MiB);
                Path now = twin.snapshot();
                List<Outcome<Backup>> outcomes = race(
                        () -> { backups.delete(parent.uuid(), Set.of()); return null; },
                        () -> backup(backups, guest, parent.uuid(), Set.of()));
                Outcome<Backup> deletion = outcomes.get(0);
                Outcome<Backup> child = outcomes.get(1);
                // Either the child came first (the parent has a child: kept), or the deletion did
                // (the child has no parent to build on: refused, or a full backup instead).
                deletion.requireOkOr(ErrorCode.HAS_CHILDREN, ErrorCode.INVALID_STATE);
                child.requireOkOr(ErrorCode.NO_BACKUP);
                assertFalse("both cannot fail", !deletion.ok() && !child.ok());
                if (deletion.ok()) {
                    points.remove(parent.uuid());
                }
                if (child.ok()) {
                    points.put(child.value().uuid(), now);
                    if (deletion.ok()) {
                        assertFalse("no backup builds on a deleted one", parent.uuid().equals(child.value().parent()));
                    }
                }
                assertEveryPointReadsAsItsMoment(backups, guest, points);
            }
            backups.delete(full.uuid(), EnumSet.of(DeleteFlag.ALL));
            assertCatalogueIsWhatExists(backups, guest);
        }
    }

    @Test
    public void twoCreatesNamingOneUuidMakeOneBackup() throws Exception {
        BackupService backups = backupService();
        try (Guest one = Guest.start(workDir(), "it-uuid1", SIZE); Guest two = Guest.start(workDir(), "it-uuid2", SIZE)) {
            Twin twin = new Twin(one, SIZE);
            twin.write(0x61, 0, 4 * MiB);
            two.write(0, 0x62, 0, 4 * MiB);
            UUID uuid = UUID.randomUUID();
            String xml = "<domainbackup><uuid>" + uuid + "</uuid></domainbackup>";
            // Two on one domain, one on another: the UUID is unique across the catalogue.
            List<Outcome<Backup>> outcomes = race(
                    () -> backups.create(one.name(), xml, Set.of()),
                    () -> backups.create(one.name(), xml, Set.of()),
                    () -> backups.create(two.name(), xml, Set.of()));
            List<Outcome<Backup>> made = outcomes.stream().filter(Outcome::ok).toList();
            assertEquals("exactly one create succeeds: " + outcomes, 1, made.size());
            outcomes.stream().filter(o -> !o.ok()).forEach(o -> o.requireOkOr(ErrorCode.INVALID_ARGUMENT));
            assertEquals(JobState.COMPLETED, backups.finishJob(uuid, Set.of()));
            Backup b = backups.lookup(uuid).orElseThrow();
            if (b.domain().name().equals(one.name())) {
                assertIdentical(image(b), twin.snapshot());
            } else {
                Path expected = Images.create(two.workDir().resolve("expected.qcow2"), SIZE);
                Images.write(expected, 0x62, 0, 4 * MiB);
                assertIdentical(image(b), expected);
            }
            assertCatalogueIsWhatExists(backups, one);
            assertCatalogueIsWhatExists(backups, two);
            backups.delete(uuid, Set.of());
        }
    }

    @Test
    public void aStartDuringAnInPlaceRestoreFindsNoDiskToRun() throws Exception {
        BackupService backups = backupService();
        long size = 4 * GiB;
        try (Guest guest = Guest.startWithData(workDir(), "it-startrace", size, 2 * GiB)) {
            Backup b = backup(backups, guest, null, Set.of());
            Path atBackup = guest.expectedImage("at-backup.qcow2");
            guest.write(0, 0x77, 0, 16 * MiB); // after the backup: the restore takes it away
            guest.shutOff();

            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Object> restore = pool.submit(() -> backups.restore("<domainbackup><uuid>" + b.uuid()
                        + "</uuid></domainbackup>", EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK)));
                // Once the disk is away, the copy runs: every start meanwhile must fail for want of it.
                Path parked = guest.disk(0).resolveSibling("." + guest.disk(0).getFileName() + ".before-restore");
                waitUntil("the restore moves the disk aside", 60, () -> Files.exists(parked) || restore.isDone());
                assertFalse("the restore ended before its disk was seen aside", restore.isDone());
                int refused = 0;
                while (!restore.isDone()) {
                    Cmd.Result start = Cmd.run("virsh", "-c", Guest.URI, "start", guest.name());
                    if (start.exitCode() == 0) {
                        break; // the restored disk is in place (checked below): the start runs on it
                    }
                    assertTrue("a start fails because the disk is away: " + start.output(),
                            start.output().contains(guest.disk(0).toString()));
                    refused++;
                }
                Outcome.of(restore).requireOkOr();
                assertTrue("starts were tried during the restore", refused > 0);
                guest.shutOffIfRunning();
                assertIdentical(guest.disk(0), atBackup);
                assertEquals("nothing but the disk (and the test's own files) beside it",
                        Set.of("vda.qcow2", "domain.xml", "at-backup.qcow2"), Set.copyOf(filesUnder(guest.workDir())));
            } finally {
                pool.shutdownNow();
            }
            // A running domain keeps its disks: the restore is refused, and nothing is moved.
            guest.startIt();
            guest.write(0, 0x78, 0, MiB);
            expectError(ErrorCode.INVALID_STATE, () -> backups.restore("<domainbackup><uuid>" + b.uuid()
                    + "</uuid></domainbackup>", EnumSet.of(RestoreFlag.REWRITE_EXISTING_DISK)));
            assertTrue(Cmd.ok("virsh", "-c", Guest.URI, "domstate", guest.name()).contains("running"));
            assertEquals(Set.of("vda.qcow2", "domain.xml", "at-backup.qcow2"), Set.copyOf(filesUnder(guest.workDir())));
            guest.shutOff();
            guest.startIt(); // the restored disk boots as the domain's own
            backups.delete(b.uuid(), Set.of());
        }
    }

    @Test
    public void twoInstantRestoresAtOnceBothHoldTheBackup() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-instants", SIZE)) {
            Twin twin = new Twin(guest, SIZE);
            twin.write(0x71, 0, 8 * MiB);
            Backup b = backup(backups, guest, null, Set.of());
            Path atBackup = twin.snapshot();
            Path out = scratchDir("instants");
            List<String> names = List.of("it-inst-a-" + UUID.randomUUID().toString().substring(0, 8),
                    "it-inst-b-" + UUID.randomUUID().toString().substring(0, 8));
            try {
                List<Outcome<Object>> outcomes = race(names.stream().<Callable<Object>>map(name -> () -> backups.restore(
                        "<domainbackup><uuid>" + b.uuid() + "</uuid><domainName>" + name + "</domainName><disks>"
                                + "<disk name='vda'><target file='" + out.resolve(name + ".qcow2") + "'/></disk></disks>"
                                + "</domainbackup>", EnumSet.of(RestoreFlag.NEW_DOMAIN, RestoreFlag.INSTANT)))
                        .toArray(Callable[]::new));
                outcomes.forEach(o -> o.requireOkOr());
                for (String name : names) {
                    assertIdentical(out.resolve(name + ".qcow2"), atBackup);
                }
                // Each holds the backup on its own: neither's record was lost to the other's.
                Set<String> holding = new HashSet<>(names);
                while (!holding.isEmpty()) {
                    BackupException held = expectError(ErrorCode.INVALID_STATE, () -> backups.delete(b.uuid(), Set.of()));
                    String named = holding.stream().filter(held.getMessage()::contains).findFirst()
                            .orElseThrow(() -> new AssertionError("names none of " + holding + ": " + held.getMessage()));
                    Cmd.ok("virsh", "-c", Guest.URI, "undefine", named);
                    holding.remove(named);
                }
                backups.delete(b.uuid(), Set.of());
                assertCatalogueIsWhatExists(backups, guest);
            } finally {
                names.forEach(name -> Cmd.run("virsh", "-c", Guest.URI, "undefine", name));
            }
        }
    }

    /** What one racing call did: returned a value, or threw a BackupException. */
    private record Outcome<T>(T value, BackupException error) {

        static <T> Outcome<T> of(Future<T> future) throws InterruptedException {
            try {
                return new Outcome<>(future.get(10, TimeUnit.MINUTES), null);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof BackupException be) {
                    return new Outcome<>(null, be);
                }
                throw new AssertionError("an unexpected failure", e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError("a racing call did not end within 10 minutes", e);
            }
        }

        boolean ok() {
            return error == null;
        }

        /** Fails unless the call succeeded or was refused with one of these codes. */
        void requireOkOr(ErrorCode... allowed) {
            if (error != null && !List.of(allowed).contains(error.code())) {
                throw new AssertionError("refused with " + error.code() + ", allowed: " + List.of(allowed), error);
            }
        }

        @Override
        public String toString() {
            return ok() ? "ok" : error.code() + ": " + error.getMessage();
        }
    }

    /** Runs the calls in threads released at the same moment; their outcomes, in order. */
    @SafeVarargs
    private static <T> List<Outcome<T>> race(Callable<T>... calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.length);
        try {
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> call : calls) {
                futures.add(pool.submit(() -> {
                    gate.await();
                    return call.call();
                }));
            }
            gate.countDown();
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (Future<T> f : futures) {
                outcomes.add(Outcome.of(f));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    private static Void merge(BackupService backups, Backup b) {
        backups.delete(b.uuid(), EnumSet.of(DeleteFlag.MERGE));
        return null;
    }

    private static Backup root(BackupService backups, Backup b) {
        Backup at = b;
        while (at.parent() != null) {
            at = backups.lookup(at.parent()).orElseThrow(() -> new AssertionError("a parent is missing"));
        }
        return at;
    }

    /** Each backup listed reads as its disk at its moment, and the catalogue is exactly these. */
    private void assertEveryPointReadsAsItsMoment(BackupService backups, Guest guest, Map<UUID, Path> points)
            throws Exception {
        assertEquals(new TreeSet<>(points.keySet()), backups.list(guest.name(), Set.of()).stream().map(Backup::uuid)
                .collect(Collectors.toCollection(TreeSet::new)));
        for (Map.Entry<UUID, Path> p : points.entrySet()) {
            assertIdentical(image(backups.lookup(p.getKey()).orElseThrow()), p.getValue());
        }
        assertCatalogueIsWhatExists(backups, guest);
    }

    /** The backups listed for the domain are exactly the directories in its target, each with its images. */
    private void assertCatalogueIsWhatExists(BackupService backups, Guest guest) throws Exception {
        List<Backup> listed = backups.list(guest.name(), Set.of());
        String domainUuid = Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip();
        Path domainDir = targetRoot().resolve(domainUuid);
        Set<String> onDisk = Set.of();
        if (Files.isDirectory(domainDir)) {
            try (Stream<Path> dirs = Files.list(domainDir)) {
                onDisk = dirs.map(d -> d.getFileName().toString()).collect(Collectors.toSet());
            }
        }
        assertEquals(listed.stream().map(b -> b.uuid().toString()).collect(Collectors.toSet()), onDisk);
        for (Backup b : listed) {
            b.disks().forEach(d -> assertTrue(d.target() + " of " + b.uuid(), Files.isRegularFile(Path.of(d.target()))));
        }
    }

}
