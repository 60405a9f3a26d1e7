package org.virtbackup.repository;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The name of a chunk: SHA-256 of its content, or HMAC-SHA256 under the repository's id key when
 * the repository is encrypted. {@link #ZERO} (32 zero bytes) stands for a chunk of zeros, which is
 * recorded in indexes but never stored.
 */
public final class ChunkId {

    public static final int LENGTH = 32;
    public static final ChunkId ZERO = new ChunkId(new byte[LENGTH]);

    private final byte[] bytes;
    private final int hash;

    private ChunkId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** The id held in these 32 bytes, copied. */
    public static ChunkId of(byte[] bytes, int offset) {
        return new ChunkId(Arrays.copyOfRange(bytes, offset, offset + LENGTH));
    }

    public static ChunkId ofHex(String hex) {
        if (hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException("a chunk id has " + 2 * LENGTH + " hex digits: " + hex);
        }
        return new ChunkId(HexFormat.of().parseHex(hex));
    }

    /** Whether a name is 64 lower-case hex digits: another file in a chunk directory is not ours. */
    public static boolean isHex(String name) {
        return name.length() == 2 * LENGTH && name.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f');
    }

    public boolean isZero() {
        return equals(ZERO);
    }

    /** Its first 8 bytes, big-endian: what a collection marks ({@link ChunkMarks}). */
    long prefix() {
        return prefix(bytes, 0);
    }

    /** Its bytes 8 to 15, big-endian: with {@link #prefix()}, the 128 bits a pack index keeps ({@link PackIndex}). */
    long secondWord() {
        return prefix(bytes, Long.BYTES);
    }

    static long prefix(byte[] bytes, int offset) {
        long p = 0;
        for (int k = 0; k < Long.BYTES; k++) {
            p = p << 8 | bytes[offset + k] & 0xff;
        }
        return p;
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    /** Writes the 32 bytes at the offset. */
    public void copyTo(byte[] dst, int offset) {
        System.arraycopy(bytes, 0, dst, offset, LENGTH);
    }

    /** The object holding the chunk: {@code chunks/XX/HEX}, XX its first byte. */
    public String objectName() {
        String hex = hex();
        return "chunks/" + hex.substring(0, 2) + "/" + hex;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkId c && Arrays.equals(bytes, c.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return hex();
    }
}
