package org.virtbackup.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Disk images built offline, to compare backups with. */
public final class Images {

    private Images() {
    }

    /** A qcow2 image of the given size, empty. */
    public static Path create(Path file, long bytes) {
        Cmd.ok("qemu-img", "create", "-q", "-f", "qcow2", file.toString(), Long.toString(bytes));
        return file;
    }

    /** Writes a byte pattern into an offline image, as the guest would. */
    public static void write(Path image, int pattern, long offset, long length) {
        // qemu-io refuses single requests of 2 GiB and more: write in 1 GiB pieces.
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (long done = 0; done < length; done += Sizes.GiB) {
            long piece = Math.min(Sizes.GiB, length - done);
            cmd.addAll(List.of("-c", String.format("write -P 0x%02x %d %d", pattern, offset + done, piece)));
        }
        cmd.add(image.toString());
        Cmd.ok(cmd.toArray(new String[0]));
    }

    /** Fills MiB {@code i} of an offline qcow2 image with byte {@code 1 + i % 250}, for {@code i < mib}. */
    public static void writePatterns(Path image, int mib) {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (int i = 0; i < mib; i++) {
            cmd.addAll(List.of("-c", String.format("write -P 0x%02x %d %d", 1 + i % 250, i * Sizes.MiB, Sizes.MiB)));
        }
        cmd.add(image.toString());
        Cmd.ok(cmd.toArray(new String[0]));
    }

    /** A file of {@code mib} MiB of random bytes: data no chunk of another disk shares, and zstd cannot shrink. */
    public static Path randomFile(Path file, int mib) {
        try (var out = Files.newOutputStream(file)) {
            SplittableRandom random = new SplittableRandom();
            byte[] block = new byte[(int) Sizes.MiB];
            for (int i = 0; i < mib; i++) {
                random.nextBytes(block);
                out.write(block);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a file's bytes into an offline qcow2 image at the offset. */
    public static void writeFile(Path image, Path source, long offset) {
        try {
            Cmd.ok("qemu-io", "-f", "qcow2", "-c", String.format("write -s %s %d %d", source, offset,
                    Files.size(source)), image.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether two images hold the same guest-visible bytes ({@code qemu-img compare}, exit 0). */
    public static Cmd.Result compare(Path a, Path b) {
        return Cmd.run("qemu-img", "compare", a.toString(), b.toString());
    }

    /** Whether a region of a raw image holds the pattern. */
    public static boolean holdsRaw(Path image, int pattern, long offset, long length) {
        Cmd.Result r = Cmd.run("qemu-io", "-r", "-f", "raw", "-c",
                String.format("read -P 0x%02x %d %d", pattern, offset, length), image.toString());
        return r.exitCode() == 0 && !r.output().contains("Pattern verification failed");
    }

    /** Whether a region of an image holds the pattern ({@code qemu-io read -P} verifies every byte). */
    public static boolean holds(Path image, int pattern, long offset, long length) {
        Cmd.Result r = Cmd.run("qemu-io", "-r", "-f", "qcow2", "-c",
                String.format("read -P 0x%02x %d %d", pattern, offset, length), image.toString());
        return r.exitCode() == 0 && !r.output().contains("Pattern verification failed");
    }
}
