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

    /**
     * Mount points at or below a directory (its absolute, normalised path), as the kernel lists
     * them (its octal escapes of spaces and the like decoded).
     */
    public static List<String> under(Path dir) {
        String at = dir.toAbsolutePath().normalize().toString();
        try {
            return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> decode(l.split(" ")[4]))
                    .filter(p -> p.equals(at) || p.startsWith(at + "/")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** mountinfo writes a space as \040, a tab as \011, a newline as \012 and a backslash as \134. */
    private static String decode(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The loop devices whose backing file lies below a directory, with their files. */
    public static List<String> loopsOver(Path dir) {
        String prefix = dir.toAbsolutePath().normalize() + "/";
        return Cmd.ok("losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE").lines()
                .filter(l -> l.contains(prefix)).toList();
    }
}
