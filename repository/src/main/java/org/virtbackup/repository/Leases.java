package org.virtbackup.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Who may change a repository that several processes and hosts share (docs/repository-format.md,
 * "Sharing a repository"). A backup being written holds a {@code write} lease, a collection a
 * {@code collect} lease. A collection runs only while no other process holds a live lease of
 * either kind; a backup starts only while no other process holds a live {@code collect} lease.
 * Each side writes its own lease first and then looks for the others', so of two that start
 * together at least one sees the other: a collection then steps back and tries again (backups
 * go first), a backup waits with its lease in place.
 *
 * <p>A lease is an object {@code locks/KIND-ID} (sealed like the manifests), rewritten every
 * quarter of the lease time. It is live while the store's clock says it was written less than a
 * lease time ago, and, for a process of this host, while that process runs: a killed Karaf
 * blocks nobody on its own host, and others for one lease time. The writes of this process do
 * not count against its own collections: its pins guard them ({@link Pins}).
 */
final class Leases {

    static final String PREFIX = "locks/";
    private static final String WRITE = "write";
    private static final String COLLECT = "collect";
    /** The longest lease time another holder's field is believed: a day. */
    private static final Duration MAX_LEASE = Duration.ofDays(1);

    private final ObjectStore store;
    private final SealedObjects objects;
    private final Sharing sharing;
    /** This process's leases, by a random id: another Repository instance is another process. */
    private final String process = HexFormat.of().formatHex(randomBytes());
    private final String host;
    private ScheduledExecutorService timer; // guarded by this

    Leases(ObjectStore store, SealedObjects objects, Sharing sharing) {
        this(store, objects, sharing, thisHost());
    }

    /** With another host's name: what the tests of dead hosts use. */
    Leases(ObjectStore store, SealedObjects objects, Sharing sharing, String host) {
        this.store = store;
        this.objects = objects;
        this.sharing = sharing;
        this.host = host;
    }

    ObjectStore store() {
        return store;
    }

    SealedObjects objects() {
        return objects;
    }

    Sharing sharing() {
        return sharing;
    }

    /** A write lease for a backup: waits while another process collects. */
    Lease write(String purpose) {
        return acquire(WRITE, purpose, List.of(COLLECT));
    }

    /** A collect lease: waits while another process writes or collects, stepping back each time it finds one. */
    Lease collect(String purpose) {
        return acquire(COLLECT, purpose, List.of(WRITE, COLLECT));
    }

    private Lease acquire(String kind, String purpose, List<String> against) {
        long deadline = System.nanoTime() + sharing.patience().toNanos();
        Lease lease = null;
        try {
            while (true) {
                if (lease == null) {
                    lease = hold(kind, purpose);
                }
                Map<String, String> others = live(against, lease);
                if (others.isEmpty()) {
                    Lease held = lease;
                    lease = null;
                    return held;
                }
                if (kind.equals(COLLECT)) {
                    lease.close(); // step back: backups go first, and of two collections neither holds on
                    lease = null;
                }
                if (System.nanoTime() > deadline) {
                    throw new RepositoryException(RepositoryException.Problem.BUSY, purpose + " in " + store.describe()
                            + " waited " + sharing.patience().toSeconds() + " s for other processes: " + String.join("; ",
                                    others.values()));
                }
                sleep();
            }
        } finally {
            if (lease != null) {
                lease.close();
            }
        }
    }

    /** Writes a new lease of this process and starts rewriting it. */
    private Lease hold(String kind, String purpose) {
        String name = PREFIX + kind + "-" + HexFormat.of().formatHex(randomBytes());
        Lease lease = new Lease(this, name, "process=" + process + "\nhost=" + host + "\npid=" + ProcessHandle.current().pid()
                + "\nstarted=" + ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L)
                + "\nlease=" + sharing.lease().toMillis() + "\npurpose=" + purpose.replace('\n', ' ') + "\n", purpose);
        lease.write();
        long every = Math.max(1, sharing.lease().toMillis() / 4);
        lease.refreshing(timer().scheduleWithFixedDelay(lease::refresh, every, every, TimeUnit.MILLISECONDS));
        return lease;
    }

    /**
     * The live leases of other processes of these kinds, described by name; dead ones found on
     * the way are removed. "Now" is the store's: the time it gives our own lease.
     */
    private Map<String, String> live(List<String> kinds, Lease own) {
        Map<String, String> live = new LinkedHashMap<>();
        try {
            Instant now = store.modified(own.name()).orElse(null);
            for (String name : store.list(PREFIX)) {
                String kind = name.substring(PREFIX.length()).replaceAll("-.*", "");
                if (name.equals(own.name()) || !kinds.contains(kind)) {
                    continue;
                }
                Optional<Instant> written = store.modified(name);
                Optional<byte[]> content = readQuietly(name);
                if (content.isEmpty()) {
                    continue; // removed meanwhile
                }
                Map<String, String> fields = fields(content.get());
                if (process.equals(fields.get("process"))) {
                    continue; // this process's own: its pins guard its writes
                }
                // A store that cannot tell when it was written: live until removed (ObjectStore.modified).
                boolean expired = now != null && written.isPresent() && written.get().plus(leaseTime(fields)).isBefore(now);
                if (expired || deadOnThisHost(fields)) {
                    store.delete(name);
                    continue;
                }
                live.put(name, kind + " lease of " + fields.getOrDefault("host", "?") + " (pid "
                        + fields.getOrDefault("pid", "?") + ", " + fields.getOrDefault("purpose", "?") + "), written "
                        + written.map(String::valueOf).orElse("at a time the store does not tell"));
            }
        } catch (IOException e) {
            throw Repository.failed("cannot read the leases in " + store.describe(), e);
        }
        return live;
    }

    /**
     * How long a lease of another process lives: the longer of its holder's lease time (in its
     * {@code lease} field) and ours. The hosts' settings need not agree: a holder with a longer
     * time rewrites it less often, and taken for dead by ours it would lose what it guards. At
     * most a day, so that a field written wrong cannot hold collections off for good.
     */
    private Duration leaseTime(Map<String, String> fields) {
        try {
            long theirs = Math.min(Long.parseLong(fields.getOrDefault("lease", "0")), MAX_LEASE.toMillis());
            return theirs > sharing.lease().toMillis() ? Duration.ofMillis(theirs) : sharing.lease();
        } catch (NumberFormatException e) {
            return sharing.lease();
        }
    }

    private Optional<byte[]> readQuietly(String name) {
        try {
            return objects.find(Envelope.TYPE_LOCK, name, 64 << 10);
        } catch (RepositoryException e) {
            if (e.problem() == RepositoryException.Problem.DAMAGED) {
                return Optional.of(new byte[0]); // unreadable: live until its time is up
            }
            throw e;
        }
    }

    /**
     * Whether a lease of this host names a process that no longer runs: its pid gone, or another
     * process under it (started at another time). A process seen without a start time counts as
     * running: only what is known to be gone is.
     */
    private boolean deadOnThisHost(Map<String, String> fields) {
        if (!host.equals(fields.get("host"))) {
            return false;
        }
        try {
            long pid = Long.parseLong(fields.getOrDefault("pid", ""));
            long started = Long.parseLong(fields.getOrDefault("started", ""));
            Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (process.isEmpty()) {
                return true;
            }
            Optional<Instant> start = process.get().info().startInstant();
            return start.isPresent() && start.get().toEpochMilli() != started;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static Map<String, String> fields(byte[] content) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return fields;
    }

    private synchronized ScheduledExecutorService timer() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "virt-backup-leases");
                t.setDaemon(true);
                return t;
            });
        }
        return timer;
    }

    /** A poll of about a tenth of the lease time, at least a tenth of a second, jittered: two that step back do not meet again. */
    private void sleep() {
        long base = Math.max(100, sharing.lease().toMillis() / 10);
        try {
            Thread.sleep(base + ThreadLocalRandom.current().nextLong(base));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RepositoryException(RepositoryException.Problem.BUSY, "interrupted waiting for other processes' leases");
        }
    }

    /**
     * This machine, this boot of it and this pid namespace: a pid names a process only within
     * them (two containers of one host name each see the other's pids as foreign).
     */
    static String thisHost() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip() + "/"
                    + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip() + "/"
                    + Files.readSymbolicLink(Path.of("/proc/self/ns/pid"));
        } catch (IOException e) {
            return "unknown-" + HexFormat.of().formatHex(randomBytes()); // then only lease times tell the dead
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
