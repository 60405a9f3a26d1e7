package org.virtbackup.itests.support;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the fault suites share: our distribution unpacked and running as its own JVM
 * ({@link ForkedKaraf}), a guest with two disks whose writes are all recorded ({@link DiskHistory}),
 * the moment each backup holds, and the checks made after every fault:
 * <ul>
 * <li>every backup listed reads exactly as the guest's disks at its moment ({@code qemu-img compare}
 * against images built offline from the writes made before it);</li>
 * <li>nothing unlisted remains: no backup directory, temporary, socket, libvirt job or
 * {@code vb-*} checkpoint that no listed backup owns;</li>
 * <li>the next incremental backup is correct.</li>
 * </ul>
 * Each suite has its own directory, Karaf and guest, and starts with one full backup.
 */
public final class FaultFixture implements AutoCloseable {

    public static final long DISK = 64 * MiB;
    /** How long a step may take before the suite gives up on it. */
    public static final Duration STEP = Duration.ofMinutes(2);
    /** While this file is in the suite's directory, its qemu-img wrapper kills each convert it runs midway. */
    public static final String CRASH_CONVERT = "crash-convert";
    private static final Pattern UUID = Pattern.compile("\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");
    private static final Pattern PARENT = Pattern.compile("<parent>\\s*<uuid>([^<]+)</uuid>");
    private static final Pattern DISK_TARGET = Pattern.compile("<disk name=\"([^\"]+)\"[^>]*>\\s*<target file=\"([^\"]+)\"");
    private static final Path RUNTIME = Path.of("/run/virt-backup-faults");

    public final Path dir;
    public final Path targetRoot;
    public final Path expected;
    public final ForkedKaraf karaf;
    public final Guest guest;
    public final DiskHistory history = new DiskHistory(DISK, DISK);
    /** The moment each backup created here holds. */
    public final Map<String, DiskHistory.Moment> moments = new HashMap<>();
    private int pattern = 0x10;
    private int expectedImages;

    private FaultFixture(Path dir, ForkedKaraf karaf, Guest guest) throws IOException {
        this.dir = dir;
        this.targetRoot = dir.resolve("backups");
        this.expected = Files.createDirectories(dir.resolve("expected"));
        this.karaf = karaf;
        this.guest = guest;
    }

    /** Unpacks and starts Karaf in {@code <itest dir>/name}, starts a guest, makes a first full backup. */
    public static FaultFixture start(String name) throws Exception {
        Guest.requireLibvirt();
        Path itest = Path.of(System.getProperty("virtbackup.itest.dir", "/var/tmp/virt-backup-itest"));
        Path dir = itest.resolve(name);
        Tmpfs.unmountUnder(dir);
        Path guests = Files.createDirectories(itest.resolve(name + "-guests"));
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("target.directory", dir.resolve("backups").toString());
        settings.put("runtime.directory", RUNTIME.toString());
        settings.put("restore.roots", guests.toString());
        settings.put("target.roots", dir.resolve("targets").toString());
        settings.put("qemu.img", dir.resolve("qemu-img").toString());
        ForkedKaraf karaf = ForkedKaraf.unpack(dir, settings);
        Files.createDirectories(dir.resolve("targets"));
        qemuImgWrapper(dir);
        FaultFixture f = new FaultFixture(dir, karaf, Guest.start(guests, "fault", DISK, DISK));
        karaf.start();
        f.history.write(f.guest, 0, f.next(), 0, 4 * MiB);
        f.history.write(f.guest, 1, f.next(), 8 * MiB, 4 * MiB);
        String full = f.create("");
        f.assertConsistent();
        assertEquals(List.of(full), f.listed());
        return f;
    }

    /**
     * qemu-img, unless {@value #CRASH_CONVERT} is there: then a convert is started and killed
     * midway with SIGKILL (by the wrapper, which started it), as a crash of qemu-img would end it.
     */
    private static void qemuImgWrapper(Path dir) throws IOException {
        Path wrapper = dir.resolve("qemu-img");
        Files.writeString(wrapper, "#!/bin/sh\n"
                + "if [ \"$1\" = convert ] && [ -e '" + dir.resolve(CRASH_CONVERT) + "' ]; then\n"
                + "    qemu-img \"$@\" & pid=$!\n"
                + "    sleep 0.3; kill -KILL $pid; wait $pid; exit $?\n"
                + "fi\n"
                + "exec qemu-img \"$@\"\n");
        Cmd.ok("chmod", "0755", wrapper.toString());
    }

    @Override
    public void close() throws Exception {
        try {
            karaf.close();
        } finally {
            guest.close();
        }
    }

    /** An incremental (full when the parent cannot serve) holds the guest's disks at its moment. */
    public void nextIncrementalIsCorrect() throws Exception {
        history.write(guest, 1, next(), 24 * MiB, 2 * MiB);
        String uuid = create("--incremental ");
        assertConsistent();
        assertTrue(listed().contains(uuid));
    }

    public String create(String options) throws Exception {
        DiskHistory.Moment moment = history.now();
        String uuid = last(karaf.run("backup:create --wait " + options + guest.name()));
        moments.put(uuid, moment);
        return uuid;
    }

    /**
     * Every listed backup is completed and reads as the guest at its moment; nothing unlisted
     * remains in the target, in the guest's directory, in the runtime directory or in libvirt.
     */
    public void assertConsistent() throws Exception {
        awaitNotRunning(guest.name());
        List<String> uuids = listed();
        for (String uuid : uuids) {
            Map<String, Path> images = completedImages(uuid, true);
            DiskHistory.Moment moment = moments.get(uuid);
            assertTrue("backup " + uuid + " was made by this test", moment != null);
            for (Map.Entry<String, Path> disk : images.entrySet()) {
                int index = disk.getKey().charAt(2) - 'a';
                Path want = history.image(moment, index, expected, "expected-" + (expectedImages++) + ".qcow2");
                Cmd.Result same = Images.compare(disk.getValue(), want);
                assertEquals("backup " + uuid + " disk " + disk.getKey() + ": " + same.output(), 0, same.exitCode());
                Files.delete(want);
            }
        }
        Set<String> dirs;
        try (Stream<Path> files = Files.exists(domainDir()) ? Files.list(domainDir()) : Stream.empty()) {
            dirs = files.map(f -> f.getFileName().toString()).collect(Collectors.toSet());
        }
        assertEquals("a directory per listed backup, no other", new HashSet<>(uuids), dirs);
        try (Stream<Path> all = Files.walk(targetRoot)) {
            List<Path> temporaries = all.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
            assertTrue("no temporary left: " + temporaries, temporaries.isEmpty());
        }
        Set<String> owned = uuids.stream().map(u -> "vb-" + u).collect(Collectors.toSet());
        List<String> orphans = guest.checkpoints().stream().filter(c -> c.startsWith("vb-") && !owned.contains(c)).toList();
        assertTrue("no checkpoint without its backup: " + orphans, orphans.isEmpty());
        if (Cmd.ok("virsh", "-c", Guest.URI, "domstate", guest.name()).contains("running")) {
            String job = Cmd.ok("virsh", "-c", Guest.URI, "domjobinfo", guest.name());
            assertTrue("no libvirt job left: " + job, job.contains("None"));
        }
        Path run = RUNTIME;
        if (Files.isDirectory(run)) {
            try (Stream<Path> files = Files.list(run)) {
                List<Path> sockets = files.filter(f -> f.toString().endsWith(".sock")).toList();
                assertTrue("no socket left: " + sockets, sockets.isEmpty());
            }
        }
    }

    /** The images of a completed backup, by disk name. */
    public Map<String, Path> completedImages(String uuid) {
        return completedImages(uuid, false);
    }

    /** The images of a completed backup, by disk name; none for an unmanaged one, if allowed. */
    public Map<String, Path> completedImages(String uuid, boolean unmanagedToo) {
        String info = karaf.run("backup:info --no-domain " + uuid);
        assertTrue("backup " + uuid + " is completed:\n" + info, info.contains("<state>completed</state>"));
        Map<String, Path> images = targets(info);
        assertTrue(info, !images.isEmpty() || unmanagedToo && info.contains("<mode>unmanaged</mode>"));
        return images;
    }

    public static Map<String, Path> targets(String info) {
        Map<String, Path> images = new LinkedHashMap<>();
        Matcher m = DISK_TARGET.matcher(info);
        while (m.find()) {
            images.put(m.group(1), Path.of(m.group(2)));
        }
        return images;
    }

    public String parentOf(String uuid) {
        Matcher m = PARENT.matcher(karaf.run("backup:info --no-domain " + uuid));
        return m.find() ? m.group(1) : null;
    }

    public void awaitNotRunning(String domain) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!uuidsIn(karaf.run("backup:list --active " + domain)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("backups of " + domain + " still running after " + STEP.toSeconds() + " s: "
                        + karaf.run("backup:list " + domain));
            }
            Thread.sleep(500);
        }
    }

    /** The guest's backups, oldest first. */
    public List<String> listed() {
        return listedOf(guest.name());
    }

    public List<String> listedOf(String domain) {
        return uuidsIn(karaf.run("backup:list " + domain));
    }

    public static List<String> uuidsIn(String table) {
        return table.lines().map(UUID::matcher).filter(Matcher::find).map(Matcher::group).toList();
    }

    public Path domainDir() {
        return targetRoot.resolve(Cmd.ok("virsh", "-c", Guest.URI, "domuuid", guest.name()).strip());
    }

    public static long imageBytes(Path domainDir) {
        try (Stream<Path> files = Files.exists(domainDir) ? Files.walk(domainDir) : Stream.empty()) {
            return files.filter(f -> f.toString().endsWith(".qcow2")).mapToLong(f -> f.toFile().length()).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0; // a directory went meanwhile
        }
    }

    public Path guests() {
        return guest.workDir().getParent();
    }

    /** Where a domain's own target may lie (target.roots). */
    public Path targetRoots() {
        return dir.resolve("targets");
    }

    public static String uuidOf(String domain) {
        return Cmd.ok("virsh", "-c", Guest.URI, "domuuid", domain).strip();
    }

    public static String last(String out) {
        String[] lines = out.strip().split("\n");
        String uuid = lines[lines.length - 1].strip();
        assertTrue(out, UUID.matcher(uuid).matches());
        return uuid;
    }

    public static void awaitThat(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + STEP.toSeconds() + " s");
            }
            Thread.sleep(20);
        }
    }

    /** The image reads as the big guest's disk: its data written before it started, nothing since. */
    public void assertHoldsItsData(Guest big, Path image) throws IOException {
        Path want = big.expectedImage("expected-" + (expectedImages++) + ".qcow2");
        try {
            Cmd.Result same = Images.compare(image, want);
            assertEquals(image + ": " + same.output(), 0, same.exitCode());
        } finally {
            Files.deleteIfExists(want);
        }
    }

    /** Waits for a command started in the background; it ends with the JVM it talked to, or with its work. */
    public void ended(Process command) throws InterruptedException {
        if (!command.waitFor(STEP.toSeconds(), TimeUnit.SECONDS)) {
            command.destroyForcibly();
            throw new AssertionError("a command still ran " + STEP.toSeconds() + " s on; see " + karaf.log());
        }
    }

    public static List<String> minus(List<String> a, List<String> b) {
        return a.stream().filter(x -> !b.contains(x)).toList();
    }

    public static String single(List<String> uuids) {
        assertEquals("one backup: " + uuids, 1, uuids.size());
        return uuids.get(0);
    }

    public int next() {
        return pattern++;
    }
}
