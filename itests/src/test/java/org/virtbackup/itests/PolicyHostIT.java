package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.FaultFixture;
import org.virtbackup.itests.support.ForkedKaraf;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Twin;

/**
 * Policies across a Karaf killed with SIGKILL (the distribution in its own JVM, started by the
 * test and killed by the pid it started): a run cut short is finished at the next start with
 * one backup per domain, each reading as its disk; a schedule that fired four times while Karaf
 * was down is caught up once.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class PolicyHostIT {

    private static final Pattern DONE = Pattern.compile("  (\\S+): done, backup ([0-9a-f-]{36})");

    private static Path dir;
    private static ForkedKaraf karaf;
    private static Guest big;
    private static Guest small;
    private static Path smallMoment;

    @BeforeClass
    public static void start() throws Exception {
        Guest.requireLibvirt();
        dir = Path.of(System.getProperty("virtbackup.itest.dir", "/var/tmp/virt-backup-itest")).resolve("policy-host");
        Cmd.run("rm", "-rf", dir.toString());
        Path guests = Files.createDirectories(dir.resolve("guests"));
        // Enough data for the backup to run a few seconds: the kill lands in it.
        big = Guest.startWithData(guests, "pol-host-a", 2048 * MiB, 1536 * MiB);
        small = Guest.start(guests, "pol-host-b", FaultFixture.DISK);
        Twin twin = new Twin(small, FaultFixture.DISK);
        twin.write(0x3c, 0, 2 * MiB);
        smallMoment = twin.snapshot();
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("target.directory", dir.resolve("backups").toString());
        settings.put("runtime.directory", "/run/virt-backup-policy-host");
        settings.put("restore.roots", guests.toString());
        karaf = ForkedKaraf.unpack(dir.resolve("karaf"), settings);
        karaf.start();
    }

    @AfterClass
    public static void stop() throws Exception {
        try {
            if (karaf != null) {
                karaf.close();
            }
        } finally {
            for (Guest g : new Guest[] {big, small}) {
                if (g != null) {
                    g.close();
                }
            }
        }
    }

    @Test
    public void a1ARunCutShortBySigkillIsFinishedAtTheNextStartWithOneBackupPerDomain() throws Exception {
        policy("host", "domains = pol-host-*", "max.concurrent = 1");
        karaf.run("backup:policy-run --no-wait host");
        karaf.killWhen("the first domain's backup runs", Duration.ofMinutes(2),
                () -> karaf.attempt("backup:list " + big.name()).contains("running"));
        karaf.start();

        FaultFixture.awaitThat("the run cut short is finished", () -> karaf.run("backup:policies").contains("(resumed), ended"));
        Map<String, String> made = made(karaf.run("backup:policies"));
        assertEquals("both domains done: " + made, List.of(big.name(), small.name()), List.copyOf(made.keySet()));
        for (Map.Entry<String, String> e : made.entrySet()) {
            String listed = karaf.run("backup:list " + e.getKey());
            List<String> completed = listed.lines().filter(l -> l.contains("completed")).map(FaultFixture::uuidsIn)
                    .map(u -> u.get(0)).toList();
            assertEquals("one completed backup of " + e.getKey() + ", the run's:\n" + listed, List.of(e.getValue()), completed);
        }
        assertEquals(0, Images.compare(image(made.get(big.name())), big.expectedImage("expected.qcow2")).exitCode());
        assertEquals(0, Images.compare(image(made.get(small.name())), smallMoment).exitCode());
    }

    @Test
    public void a2AScheduleThatFiredFourTimesWhileKarafWasDownIsCaughtUpOnce() throws Exception {
        long before = completedOf(small.name());
        // Four firings, 5 s apart, 15 to 30 s from now, all in this minute: none after it, ever.
        ZonedDateTime now = ZonedDateTime.now();
        while (now.getSecond() > 25) {
            Thread.sleep(1000);
            now = ZonedDateTime.now();
        }
        int s = now.getSecond();
        String cron = (s + 15) + "-" + (s + 30) + "/5 " + now.getMinute() + " " + now.getHour() + " " + now.getDayOfMonth()
                + " " + now.getMonthValue() + " ? " + now.getYear();
        policy("late", "domains = " + small.name(), "schedule = " + cron, "catch.up = true");
        karaf.kill();
        assertTrue("killed before the first firing", ZonedDateTime.now().isBefore(now.withSecond(s + 15)));
        while (ZonedDateTime.now().isBefore(now.withSecond(s + 32))) {
            Thread.sleep(500);
        }
        karaf.start();

        FaultFixture.awaitThat("the missed run is caught up", () -> karaf.run("backup:policies").contains("(catch-up), ended"));
        Thread.sleep(5000);
        assertEquals("one backup for four missed firings", before + 1, completedOf(small.name()));
        String shown = karaf.run("backup:policies");
        assertTrue(shown, shown.contains("late: domains " + small.name() + "; schedule '" + cron + "', next run -"));
    }

    /** Configures a policy as an operator does, and waits until the service has it. */
    private static void policy(String name, String... lines) throws Exception {
        Files.writeString(karaf.home().resolve("etc/org.virtbackup.policy-" + name + ".cfg"),
                "name = " + name + "\n" + String.join("\n", lines) + "\n");
        FaultFixture.awaitThat("policy " + name + " is configured", () -> karaf.run("backup:policies").contains(name + ": domains"));
    }

    /** The backups the last runs made, by domain, as backup:policies shows them. */
    private static Map<String, String> made(String policies) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = DONE.matcher(policies);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    private static long completedOf(String domain) {
        return karaf.run("backup:list " + domain).lines().filter(l -> l.contains("completed")).count();
    }

    private static Path image(String uuid) {
        return FaultFixture.targets(karaf.run("backup:info --no-domain " + uuid)).get("vda");
    }
}
