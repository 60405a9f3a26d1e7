package org.virtbackup.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.api.VerifyResult;

/**
 * What the commands make of the service's answers: a failure found fails the command (so
 * {@code bin/client} exits non-zero), one backup's error stops no {@code --all}, and what an
 * operator types wrong is refused before anything is done. The service is a recording stand-in;
 * the in-container tests prove the real one.
 */
class CommandOutcomesTest {

    private final List<String> calls = new ArrayList<>();
    private final Map<String, Object> answers = new java.util.HashMap<>();
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private PrintStream stdout;

    @BeforeEach
    void capture() {
        stdout = System.out;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(stdout);
    }

    /** Answers each method with what the test put under its name (a Throwable is thrown), records the call. */
    private BackupService service() {
        return (BackupService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BackupService.class},
                (proxy, method, args) -> {
                    calls.add(method.getName());
                    Object a = answers.get(method.getName());
                    if (a instanceof java.util.function.Function<?, ?> f) {
                        @SuppressWarnings("unchecked")
                        Object r = ((java.util.function.Function<Object, Object>) f).apply(args[0]);
                        a = r;
                    }
                    if (a instanceof RuntimeException e) {
                        throw e;
                    }
                    return a;
                });
    }

    private static Backup inRepository(UUID uuid) {
        return new Backup(uuid, new DomainRef("vm1", UUID.randomUUID()), "", Instant.now(), Instant.now(), null,
                BackupKind.FULL, BackupMode.MANAGED, JobState.COMPLETED, null, "",
                List.of(new BackupDisk("vda", BackupDisk.REPOSITORY, "file:///r", 1 << 20, 1 << 20)));
    }

    @Test
    void aDamagedBackupFailsVerify() {
        UUID u = UUID.randomUUID();
        answers.put("verify", new VerifyResult(u, 4, 4 << 20, List.of("ab12"), List.of(u)));
        VerifyCommand c = new VerifyCommand();
        c.service = service();
        c.uuid = u.toString();
        IllegalStateException e = assertThrows(IllegalStateException.class, c::execute);
        assertTrue(e.getMessage().contains("1 damaged"), e.getMessage());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("damaged chunk ab12"));
    }

    @Test
    void verifyAllGoesOnPastABackupItCannotVerifyAndThenFails() {
        UUID gone = UUID.randomUUID();
        UUID whole = UUID.randomUUID();
        answers.put("list", List.of(inRepository(gone), inRepository(whole)));
        answers.put("verify", (java.util.function.Function<UUID, Object>) u -> u.equals(gone)
                ? new BackupException(ErrorCode.NO_BACKUP, "no backup with UUID " + gone)
                : new VerifyResult(whole, 4, 4 << 20, List.of(), List.of()));
        VerifyCommand c = new VerifyCommand();
        c.service = service();
        c.all = true;
        IllegalStateException e = assertThrows(IllegalStateException.class, c::execute);
        assertTrue(e.getMessage().contains("1 not verified"), e.getMessage());
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains(whole + ": whole"), out);
        assertTrue(out.contains("1 backups verified, 0 damaged, 1 not verified"), out);
    }

    @Test
    void aWholeBackupVerifies() throws Exception {
        UUID u = UUID.randomUUID();
        answers.put("verify", new VerifyResult(u, 4, 4 << 20, List.of(), List.of()));
        VerifyCommand c = new VerifyCommand();
        c.service = service();
        c.uuid = u.toString();
        c.execute();
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains(u + ": whole"));
    }

    @Test
    void anOptionAfterTheDomainIsRefusedNotTakenForAPath() {
        TargetCommand c = new TargetCommand();
        c.service = service();
        c.domain = "web01";
        c.path = "--clear";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::execute);
        assertTrue(e.getMessage().contains("options go before DOMAIN"), e.getMessage());
        assertEquals(List.of(), calls);
    }

    @Test
    void checkWithoutATargetIsRefusedRatherThanSayingOk() {
        TargetCommand c = new TargetCommand();
        c.service = service();
        c.domain = "web01";
        c.check = true;
        assertThrows(IllegalArgumentException.class, c::execute);
        assertEquals(List.of(), calls);
    }

    @Test
    void checkAndCancelTogetherAreRefusedBeforeAnythingIsCancelled() {
        FinishCommand c = new FinishCommand();
        c.service = service();
        c.uuid = UUID.randomUUID().toString();
        c.check = true;
        c.cancel = true;
        assertThrows(IllegalArgumentException.class, c::execute);
        assertEquals(List.of(), calls);
    }

    @Test
    void aFailedBackupFailsFinish() {
        answers.put("finishJob", JobState.FAILED);
        FinishCommand c = new FinishCommand();
        c.service = service();
        c.uuid = UUID.randomUUID().toString();
        assertThrows(IllegalStateException.class, c::execute);
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("failed"));
    }

    @Test
    void aBackupCancelledByAnotherOperatorWhileFollowedEndsCancelled() throws Exception {
        UUID u = UUID.randomUUID();
        int[] checks = {0};
        answers.put("getParameters", Map.of(BackupParameters.BYTES_PROCESSED, 1L, BackupParameters.BYTES_TOTAL, 4L,
                BackupParameters.THROUGHPUT, -1L));
        answers.put("finishJob", (java.util.function.Function<UUID, Object>) x -> ++checks[0] < 2 ? JobState.RUNNING
                : new BackupException(ErrorCode.NO_BACKUP, "no backup with UUID " + u));
        assertEquals(JobState.CANCELLED, new Progress(System.out, 80).follow(service(), u));
    }

    @Test
    void theProgressOfAWaitedCallFailingStopsNeitherTheCallNorItsResult() throws Exception {
        Progress p = new Progress(System.out, 80);
        String result = p.during(() -> {
            Thread.sleep(1200);
            return "restored";
        }, () -> {
            throw new BackupException(ErrorCode.INVALID_STATE, "no viewer role");
        });
        assertEquals("restored", result);
    }

    @Test
    void tcpTakesHostPortAndIpv6() {
        assertEquals("127.0.0.1", ExportCommand.host("127.0.0.1:10809"));
        assertEquals(10809, ExportCommand.port("127.0.0.1:10809"));
        assertEquals("::1", ExportCommand.host("[::1]:10810"));
        assertEquals(10810, ExportCommand.port("[::1]:10810"));
        assertEquals("::1", ExportCommand.host("::1"));
        assertEquals(0, ExportCommand.port("::1"));
        assertEquals("fd00::5", ExportCommand.host("[fd00::5]"));
        assertEquals(0, ExportCommand.port("[fd00::5]"));
        assertEquals(null, ExportCommand.host(":0"));
        assertEquals("nbd.example", ExportCommand.host("nbd.example"));
        assertThrows(IllegalArgumentException.class, () -> ExportCommand.port("[::1]x"));
        assertThrows(IllegalArgumentException.class, () -> ExportCommand.port("host:port"));
    }

    @Test
    void xmlWithTheOptionsItHoldsIsRefusedBeforeAnythingStarts() {
        ExportCommand c = new ExportCommand();
        c.service = service();
        c.domain = "web01";
        c.xmlFile = "/nonexistent.xml";
        c.disks = List.of("vda");
        assertThrows(IllegalArgumentException.class, c::execute);
        CreateCommand create = new CreateCommand();
        create.service = service();
        create.domain = "web01";
        create.full = true;
        create.incremental = true;
        assertThrows(IllegalArgumentException.class, create::execute);
        assertEquals(List.of(), calls);
    }

    @Test
    void aRestoreWhoseVerificationDiffersFailsAfterSayingWhere() {
        answers.put("restore", new RestoreResult(null, List.of(new RestoreResult.RestoredDisk("vda", "/r/vda.qcow2", true),
                new RestoreResult.RestoredDisk("vdb", "/r/vdb.qcow2", false))));
        RestoreCommand c = new RestoreCommand();
        c.service = service();
        c.uuid = UUID.randomUUID().toString();
        c.verify = true;
        IllegalStateException e = assertThrows(IllegalStateException.class, c::execute);
        assertTrue(e.getMessage().contains("[vdb]"), e.getMessage());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("vdb -> /r/vdb.qcow2 (VERIFY FAILED"));
    }

    @Test
    void aCompletedBackupsNoteIsPrintedByFinish() throws Exception {
        UUID u = UUID.randomUUID();
        answers.put("finishJob", JobState.COMPLETED);
        Backup noted = new Backup(u, new DomainRef("vm1", UUID.randomUUID()), "", Instant.now(), Instant.now(), null,
                BackupKind.FULL, BackupMode.UNMANAGED, JobState.COMPLETED, null, "virsh domjobabort vm1", List.of());
        answers.put("lookup", java.util.Optional.of(noted));
        FinishCommand c = new FinishCommand();
        c.service = service();
        c.uuid = u.toString();
        c.execute();
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("Note: virsh domjobabort vm1"));
    }
}
