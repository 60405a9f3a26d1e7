package org.virtbackup.api.files;

import java.time.Instant;

/**
 * An entry of a directory of a backed-up disk.
 *
 * @param name the entry's name in its directory
 * @param type what it is
 * @param size its size in bytes (a disk's or partition's capacity)
 * @param modified when it was last modified, or {@code null} for a disk or a partition
 * @param detail a link's target, a partition's file system type ({@code ext4}), or {@code null}
 */
public record GuestFile(String name, Type type, long size, Instant modified, String detail) {

    /**
     * A guest's name or link target as a terminal or a log may show it: control characters,
     * which a hostile guest could use to move the cursor or forge a line, written as {@code \xNN};
     * format characters (bidirectional overrides, zero-width marks), which make a name read as
     * another, as a backslash, {@code u} and four hex digits.
     */
    public static String printable(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder s = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                s.append(String.format("\\x%02x", c));
            } else if (Character.getType(c) == Character.FORMAT) {
                for (char half : Character.toChars(c)) { // above U+FFFF: both UTF-16 halves, four digits each
                    s.append(String.format("\\u%04x", (int) half));
                }
            } else {
                s.appendCodePoint(c);
            }
        });
        return s.toString();
    }

    /** What an entry is. */
    public enum Type {
        FILE, DIRECTORY, LINK,
        /** A disk or a partition: a directory to list. */
        VOLUME,
        /** A device file, a pipe, a socket, or a partition without a file system read here. */
        OTHER
    }
}
