package org.virtbackup.impl.provider.unmanaged;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.NbdServer;
import org.virtbackup.impl.config.Configurations;
import org.virtbackup.impl.provider.nbd.NbdListener;

/** Where exports may listen: loopback freely, elsewhere only with TLS, always within nbd.tcp.ports. */
class ListenerPolicyTest {

    private static final UUID BACKUP = UUID.randomUUID();
    private static final Path RUN = Path.of("/run/virt-backup");

    private static ListenerPolicy policy(Map<String, ?> config) {
        return new ListenerPolicy(Configurations.of(config), RUN);
    }

    private static NbdServer tcp(String host, int port, boolean tls) {
        return new NbdServer(NbdServer.Transport.TCP, host, port, tls);
    }

    private static String refused(ListenerPolicy policy, NbdServer asked) {
        BackupException e = assertThrows(BackupException.class, () -> policy.choose(BACKUP, asked, Set.of()));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void byDefaultAnExportIsAPrivateUnixSocket() {
        NbdListener l = policy(Map.of()).choose(BACKUP, null, Set.of());
        assertEquals(RUN.resolve(BACKUP + ".sock"), l.socket());
    }

    @Test
    void loopbackTakesPlaintextAndAFreePortOfTheRange() {
        NbdListener l = policy(Map.of("nbd.tcp.ports", "10809-10849")).choose(BACKUP, tcp("127.0.0.1", 0, false), Set.of(10809));
        assertEquals("127.0.0.1", l.host());
        assertTrue(l.port() > 10809 && l.port() <= 10849, "port " + l.port());
        assertEquals(false, l.tls());
    }

    @Test
    void anyOtherAddressNeedsTlsUnlessPlaintextIsAllowed() {
        String why = refused(policy(Map.of()), tcp("0.0.0.0", 10810, false));
        assertTrue(why.contains("0.0.0.0") && why.contains("needs TLS") && why.contains("nbd.tcp.plaintext"), why);
        assertTrue(policy(Map.of()).choose(BACKUP, tcp("0.0.0.0", 10810, true), Set.of()).tls());
        assertTrue(policy(Map.of("nbd.tls", true)).choose(BACKUP, tcp("0.0.0.0", 10810, false), Set.of()).tls(),
                "nbd.tls makes every TCP export use TLS");
        assertEquals(false, policy(Map.of("nbd.tcp.plaintext", true)).choose(BACKUP, tcp("0.0.0.0", 10810, false),
                Set.of()).tls());
    }

    @Test
    void onlyIpLiteralsAreTakenAndIpv6LoopbackIsLoopback() {
        for (String name : List.of("localhost", "", "example.org", "127.0.0.1.nip.io")) {
            String why = refused(policy(Map.of()), tcp(name, 10810, false));
            assertTrue(why.contains("IP address"), name + ": " + why);
        }
        assertEquals("::1", policy(Map.of()).choose(BACKUP, tcp("::1", 10810, false), Set.of()).host());
        assertTrue(refused(policy(Map.of()), tcp("::", 10810, false)).contains("needs TLS"));
        assertTrue(refused(policy(Map.of()), tcp("999.1.1.1", 10810, false)).contains("not an IP address"));
    }

    @Test
    void theConfiguredAddressIsCheckedToo() {
        String why = refused(policy(Map.of("nbd.transport", "tcp", "nbd.tcp.address", "0.0.0.0")), null);
        assertTrue(why.contains("needs TLS"), why);
    }

    @Test
    void anExplicitPortMustLieInTheRangeAndBeFree() {
        String outside = refused(policy(Map.of("nbd.tcp.ports", "10809-10849")), tcp("127.0.0.1", 22, false));
        assertTrue(outside.contains("port 22 is outside nbd.tcp.ports 10809-10849"), outside);
        BackupException taken = assertThrows(BackupException.class,
                () -> policy(Map.of()).choose(BACKUP, tcp("127.0.0.1", 10811, false), Set.of(10811)));
        assertTrue(taken.getMessage().contains("taken"), taken.getMessage());
    }
}
