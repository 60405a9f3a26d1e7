package org.virtbackup.impl.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.config.Configurations;

/** The backup a policy run makes of a domain: never a second one for a run taken up again. */
class RunBackupTest {

    private static final Instant NOW = Instant.parse("2026-12-01T02:00:00Z");
    private static final DomainRef DOMAIN = new DomainRef("web", UUID.randomUUID());

    /** What the service was asked, in order. */
    private final List<String> calls = new ArrayList<>();
    /** The states a lookup of each backup gives, one per lookup; the last one stays. */
    private final Map<UUID, Deque<JobState>> states = new HashMap<>();
    private JobState createdEndsAs = JobState.COMPLETED;
    /** How many CHECKs fail to record the end first, as on a full disk. */
    private final Deque<Boolean> unrecordedChecks = new ArrayDeque<>();

    private static Backup backup(UUID uuid, JobState state) {
        return new Backup(uuid, DOMAIN, "policy p", NOW, null, null, BackupKind.FULL, BackupMode.MANAGED, state, null,
                state == JobState.FAILED ? "disk full" : "", List.of());
    }

    private BackupService service() {
        return (BackupService) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BackupService.class},
                (proxy, method, args) -> {
                    calls.add(method.getName());
                    return switch (method.getName()) {
                        case "lookup" -> {
                            Deque<JobState> s = states.get((UUID) args[0]);
                            if (s != null && !unrecordedChecks.isEmpty()) { // the catalogue says running till the end is recorded
                                yield Optional.of(backup((UUID) args[0], JobState.RUNNING));
                            }
                            yield s == null ? Optional.empty()
                                    : Optional.of(backup((UUID) args[0], s.size() > 1 ? s.pop() : s.peek()));
                        }
                        case "finishJob" -> {
                            if (!unrecordedChecks.isEmpty()) {
                                unrecordedChecks.pop();
                                throw new BackupException(ErrorCode.IO_ERROR, "backup " + args[0] + " ended (completed), "
                                        + "but recording it failed again: No space left on device; finishJob tries again");
                            }
                            Deque<JobState> s = states.get((UUID) args[0]);
                            yield s.size() > 1 ? s.pop() : s.peek();
                        }
                        case "list" -> List.of();
                        case "create" -> {
                            UUID uuid = ((BackupRequest) args[1]).uuid();
                            states.put(uuid, new ArrayDeque<>(List.of(JobState.RUNNING, createdEndsAs)));
                            yield backup(uuid, JobState.RUNNING);
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    };
                });
    }

    private RunBackup runBackup(boolean stopped) {
        Map<String, Object> p = new HashMap<>(Map.of("name", "p", "domains", new String[] {"web"}));
        Policy policy = Policy.of(Configurations.of(PolicyConfig.class, p), ZoneOffset.UTC);
        return new RunBackup(policy, service(), Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofMillis(1), () -> stopped);
    }

    @Test
    void theBackupARunRecordedIsWaitedForNotMadeAgain() throws Exception {
        UUID recorded = UUID.randomUUID();
        states.put(recorded, new ArrayDeque<>(List.of(JobState.RUNNING, JobState.RUNNING, JobState.COMPLETED)));
        List<UUID> announced = new ArrayList<>();
        assertEquals(recorded, runBackup(false).of(DOMAIN, recorded, announced::add));
        assertTrue(announced.isEmpty());
        assertTrue(!calls.contains("create"), "no second backup: " + calls);
    }

    @Test
    void aRecordedBackupThatFailedIsMadeAgainUnderAUuidRecordedBeforeItStarts() throws Exception {
        UUID recorded = UUID.randomUUID();
        states.put(recorded, new ArrayDeque<>(List.of(JobState.FAILED)));
        List<String> callsWhenAnnounced = new ArrayList<>();
        List<UUID> announced = new ArrayList<>();
        UUID made = runBackup(false).of(DOMAIN, recorded, u -> {
            announced.add(u);
            callsWhenAnnounced.addAll(calls);
        });
        assertNotEquals(recorded, made);
        assertEquals(List.of(made), announced);
        assertTrue(!callsWhenAnnounced.contains("create") && calls.contains("create"), "recorded first: " + callsWhenAnnounced);
    }

    @Test
    void aStoppingEngineStartsNoBackup() {
        List<UUID> announced = new ArrayList<>();
        assertThrows(InterruptedException.class, () -> runBackup(true).of(DOMAIN, null, announced::add));
        assertTrue(!calls.contains("create"), "" + calls);
        // Recorded before the check: an engine closing between a check and a record could not know of the backup.
        assertEquals(1, announced.size(), "the UUID is recorded first, then the start refused");
    }

    @Test
    void aBackupThatFailsFailsTheDomainWithItsMessage() {
        createdEndsAs = JobState.FAILED;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> runBackup(false).of(DOMAIN, null, u -> { }));
        assertTrue(e.getMessage().contains("failed: disk full"), e.getMessage());
    }

    @Test
    @Timeout(20)
    void anEndWhoseRecordFailsIsAskedForAgainUntilItIsRecorded() throws Exception {
        unrecordedChecks.addAll(List.of(true, true, true));
        runBackup(false).of(DOMAIN, null, u -> { }); // a lookup alone would see it running for good
        assertTrue(unrecordedChecks.isEmpty(), "each poll's CHECK tried to record the end");
    }
}
