package org.virtbackup.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.virtbackup.impl.config.Paths;

/**
 * Runs the benchmarks (all, or those named) one after the other and prints, at the very end,
 * one {@code RESULT <benchmark> <key>=<value>} line per result. Exit code 0 when every
 * benchmark ran, 1 when one failed (its error is printed; the others still run), 2 on bad
 * arguments. The numbers are never judged here.
 *
 * <pre>
 * java -cp ... org.virtbackup.bench.Benchmarks [--work-dir DIR] [--rounds N] [--phases] [--list] [NAME...]
 * </pre>
 * Environment: BENCH_WORK_DIR, BENCH_ROUNDS (defaults for the options), LIBVIRT_URI, QEMU_IMG.
 */
public final class Benchmarks {

    /** Every benchmark, in the order they run. A new benchmark is a new class listed here. */
    static final List<Benchmark> ALL = List.of(new FullBackupBenchmark(), new IncrementalBackupBenchmark(),
            new RestoreBenchmark(), new FilesBenchmark(), new NbdExportBenchmark(), new ChunkSizeBenchmark(),
            new RepositoryBenchmark(), new RepositorySpaceBenchmark(), new ObjectCostBenchmark(), new S3Benchmark(),
            new FleetCatalogueBenchmark());

    private Benchmarks() {
    }

    public static void main(String[] args) {
        // the service logs every job at INFO; keep the benchmark's output readable
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.exit(run(args, System.out));
    }

    static int run(String[] args, PrintStream out) {
        Path workRoot = Path.of(env("BENCH_WORK_DIR", "/var/tmp/virt-backup-bench"));
        int rounds;
        try {
            rounds = Integer.parseInt(env("BENCH_ROUNDS", "3"));
        } catch (NumberFormatException e) {
            System.err.println("bench: BENCH_ROUNDS must be a number");
            return 2;
        }
        boolean phases = false;
        List<Benchmark> chosen = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            try {
                switch (a) {
                    case "--work-dir" -> workRoot = Path.of(args[++i]);
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--phases" -> phases = true;
                    case "--list" -> {
                        ALL.forEach(b -> out.println(b.name() + "\t" + b.description()));
                        return 0;
                    }
                    case "-h", "--help" -> {
                        out.println("usage: Benchmarks [--work-dir DIR] [--rounds N] [--phases] [--list] [NAME...]");
                        return 0;
                    }
                    default -> {
                        if (a.startsWith("-")) {
                            System.err.println("bench: unknown option " + a);
                            return 2;
                        }
                        Benchmark b = ALL.stream().filter(x -> x.name().equals(a)).findFirst().orElse(null);
                        if (b == null) {
                            System.err.println("bench: no benchmark '" + a + "'; there are: "
                                    + String.join(", ", ALL.stream().map(Benchmark::name).toList()));
                            return 2;
                        }
                        chosen.add(b);
                    }
                }
            } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
                System.err.println("bench: option " + a + " needs a " + (a.equals("--rounds") ? "number" : "value"));
                return 2;
            }
        }
        if (rounds < 1) {
            System.err.println("bench: --rounds must be at least 1");
            return 2;
        }
        if (chosen.isEmpty()) {
            chosen.addAll(ALL);
        }

        String uri = env("LIBVIRT_URI", "qemu:///system");
        String qemuImg = env("QEMU_IMG", "qemu-img");
        List<Result> results = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Benchmark b : chosen) {
            out.printf(Locale.ROOT, "== %s: %s (%d rounds after warm-up)%n", b.name(), b.description(), rounds);
            long start = System.nanoTime();
            Cleanup cleanup = new Cleanup();
            try {
                boolean createdRoot = !Files.isDirectory(workRoot);
                Files.createDirectories(workRoot);
                Path root = workRoot;
                // QEMU runs as libvirt-qemu: it passes through to the guests' disks (lists nothing).
                Path work = Files.createTempDirectory(workRoot, b.name() + "-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
                Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
                cleanup.add("removing " + work, () -> {
                    Paths.deleteTree(work);
                    if (createdRoot) {
                        deleteIfEmpty(root);
                    }
                });
                results.addAll(b.run(new BenchContext(work, rounds, uri, qemuImg, phases, out, cleanup)));
            } catch (Exception | Error e) {
                out.flush();
                System.err.println("bench: " + b.name() + " FAILED: " + e);
                if (!(e instanceof IllegalStateException) || e.getCause() != null) {
                    e.printStackTrace();
                }
                failed.add(b.name());
            } finally {
                cleanup.close();
            }
            if (cleanup.failures() > 0 && !failed.contains(b.name())) {
                System.err.println("bench: " + b.name() + ": cleanup failed, something may be left behind");
                failed.add(b.name());
            }
            out.printf(Locale.ROOT, "== %s: done in %.0f s%n", b.name(), (System.nanoTime() - start) / 1e9);
        }
        out.flush();
        if (!failed.isEmpty()) {
            System.err.println("bench: failed: " + String.join(", ", failed));
        }
        results.forEach(r -> out.println(r.line()));
        out.flush();
        return failed.isEmpty() ? 0 : 1;
    }

    private static void deleteIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (someone else's files) or gone: leave it
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
