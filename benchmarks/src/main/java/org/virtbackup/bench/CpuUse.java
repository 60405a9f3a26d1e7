package org.virtbackup.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The CPU a stretch of work used: by this JVM (the service, its JIT compilers included) and by the
 * guest's QEMU process (its NBD server, and its vCPUs: the benchmark's guest idles), against the
 * CPU the host's cores had over the same wall time. A share near 1 means the work was bound by
 * CPU. Beside them, the JIT compilers' time as the JVM counts it: elapsed, summed over the
 * compiler threads, so it includes their waits for a core.
 */
final class CpuUse {

    private final long qemuPid;
    private final int ticksPerSecond;
    private final long wall0;
    private final long service0;
    private final long jit0;
    private final long qemu0;

    private CpuUse(long qemuPid, int ticksPerSecond) throws IOException {
        this.qemuPid = qemuPid;
        this.ticksPerSecond = ticksPerSecond;
        this.qemu0 = ticks(qemuPid);
        this.jit0 = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        this.service0 = os().getProcessCpuTime();
        this.wall0 = System.nanoTime();
    }

    /** Starts counting; {@code guest} is the libvirt name of the running guest whose QEMU serves the disk. */
    static CpuUse start(String guest) throws IOException {
        return new CpuUse(qemuPid(guest), Integer.parseInt(Cmd.run("getconf", "CLK_TCK").strip()));
    }

    /** The QEMU process libvirt started for the guest: its command line names it {@code -name guest=NAME,...}. */
    private static long qemuPid(String guest) throws IOException {
        String wanted = "guest=" + guest + ",";
        try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    continue; // ended meanwhile
                }
                if (cmdline.contains("\0-name\0" + wanted)) { // arguments are separated by NULs
                    return Long.parseLong(p.getFileName().toString());
                }
            }
        }
        throw new IllegalStateException("no QEMU process runs the guest " + guest);
    }

    /** What was used since the start. */
    Used stop() throws IOException {
        double wall = (System.nanoTime() - wall0) / 1e9;
        double service = (os().getProcessCpuTime() - service0) / 1e9;
        double jit = (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0) / 1e3;
        double qemu = (double) (ticks(qemuPid) - qemu0) / ticksPerSecond;
        return new Used(wall, service, jit, qemu, Runtime.getRuntime().availableProcessors());
    }

    /** CPU seconds over a wall time; {@code jit} is the compilers' elapsed time as the JVM counts it (their CPU is in {@code service}). */
    record Used(double wall, double service, double jit, double qemu, int cores) {

        /** The share of the cores' time the service and QEMU took together. */
        double busy() {
            return (service + qemu) / (wall * cores);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "cpu: service %.2f s (JIT %.2f s elapsed), QEMU %.2f s: %.0f %% of %d cores",
                    service, jit, qemu, 100 * busy(), cores);
        }
    }

    private static com.sun.management.OperatingSystemMXBean os() {
        return (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    }

    /** User and system clock ticks of a process, from /proc/PID/stat (fields 14 and 15). */
    private static long ticks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
