package org.virtbackup.bench;

import java.util.List;

/**
 * One benchmark: sets up what it needs under {@link BenchContext#workDir()}, measures, cleans
 * up everything it created (also on failure) and returns its results, which
 * {@link Benchmarks} prints as {@code RESULT <name> <key>=<value>} lines at the very end.
 *
 * <p>A benchmark reports; it does not judge. It throws only on errors (a backup that did not
 * complete, a copy that differs from its source, a command that failed), never because a
 * number is worse than a target.
 *
 * <p>To add one: implement this interface (see {@link FullBackupBenchmark}) and list it in
 * {@link Benchmarks#ALL}.
 */
public interface Benchmark {

    /** Short name used in RESULT lines and on the command line, e.g. {@code full-backup}. */
    String name();

    /** One line: what is measured against what. */
    String description();

    List<Result> run(BenchContext context) throws Exception;
}
