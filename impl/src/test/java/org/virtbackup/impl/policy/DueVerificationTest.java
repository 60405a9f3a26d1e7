package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.JobState;
import org.virtbackup.api.VerifyResult;

/** Which of a domain's repository backups a policy verifies at a run, and what it remembers of it. */
class DueVerificationTest {

    private static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");
    private static final DomainRef DOMAIN = new DomainRef("db", UUID.randomUUID());

    @TempDir
    Path tmp;

    private final List<UUID> verifiedCalls = new ArrayList<>();
    private boolean whole = true;

    private BackupService service(Backup b) {
        return (BackupService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BackupService.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "list" -> List.of(b);
                    case "verify" -> {
                        verifiedCalls.add((UUID) args[0]);
                        yield new VerifyResult(b.uuid(), 4, 4 << 20, whole ? List.of() : List.of("ab12"),
                                whole ? List.of() : List.of(b.uuid()));
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static Backup inRepository() {
        return new Backup(UUID.randomUUID(), DOMAIN, "policy p", T0, T0, null, BackupKind.FULL, BackupMode.MANAGED,
                JobState.COMPLETED, null, "", List.of(new BackupDisk("vda", BackupDisk.REPOSITORY, "file:///r", 1 << 20, 1)));
    }

    private String verifyAt(BackupService service, PolicyJournal journal, Instant when) throws InterruptedException {
        return new DueVerification(service, journal, 1, Clock.fixed(when, ZoneOffset.UTC)).verify(DOMAIN, n -> { });
    }

    @Test
    void aDamagedBackupIsVerifiedAndReportedAtEveryRunUntilWhole() throws Exception {
        Backup b = inRepository();
        BackupService service = service(b);
        PolicyJournal journal = PolicyJournal.open(tmp, "p", T0);
        whole = false;
        assertTrue(verifyAt(service, journal, T0).contains("is damaged"));
        assertTrue(verifyAt(service, journal, T0.plusSeconds(60)).contains("is damaged"), "reported again, not taken as verified");
        whole = true;
        assertEquals("", verifyAt(service, journal, T0.plusSeconds(120)));
        assertEquals("", verifyAt(service, journal, T0.plusSeconds(180)));
        assertEquals(3, verifiedCalls.size(), "once whole, not again within the day");
    }

    @Test
    void aDailyRunAFewMinutesEarlierThanYesterdaysStillVerifiesAgain() throws Exception {
        Backup b = inRepository();
        BackupService service = service(b);
        PolicyJournal journal = PolicyJournal.open(tmp, "p", T0);
        verifyAt(service, journal, T0.plus(Duration.ofMinutes(5)));
        verifyAt(service, journal, T0.plus(Duration.ofDays(1)));
        assertEquals(2, verifiedCalls.size());
    }
}
