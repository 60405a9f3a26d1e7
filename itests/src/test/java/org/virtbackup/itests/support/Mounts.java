package org.virtbackup.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the kernel has mounted or looped below a directory: what a test checks is left, or cleans up. */
public final class Mounts {

    private Mounts() {
    }

    /** Mount points strictly below a directory (its absolute, normalised path), as the kernel lists them. */
    public static List<String> under(Path dir) {
        String prefix = dir.toAbsolutePath().normalize() + "/";
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                    .filter(p -> p.startsWith(prefix)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The loop devices whose backing file lies below a directory, with their files. */
    public static List<String> loopsOver(Path dir) {
        String prefix = dir.toAbsolutePath().normalize() + "/";
        return Cmd.ok("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE").lines()
                .filter(l -> l.contains(prefix)).toList();
    }
}
