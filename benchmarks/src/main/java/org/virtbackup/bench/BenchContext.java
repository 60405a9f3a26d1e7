package org.virtbackup.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What every benchmark gets.
 *
 * @param workDir a fresh directory of this benchmark's own, removed after it ran
 * @param rounds measured rounds (after warm-up rounds that are not counted: one unless a benchmark says otherwise)
 * @param libvirtUri the libvirt connection, normally {@code qemu:///system}
 * @param qemuImg the qemu-img program
 * @param phases whether to also time the phases inside the service (a little extra polling)
 * @param out where to print per-round figures
 * @param cleanup where to register the removal of everything the benchmark creates, as soon as
 *        it exists (runs after the benchmark, on failure too, and on ^C); the work directory's
 *        removal is registered already and runs last
 */
public record BenchContext(Path workDir, int rounds, String libvirtUri, String qemuImg, boolean phases,
        PrintStream out, Cleanup cleanup) {

    public void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }
}
