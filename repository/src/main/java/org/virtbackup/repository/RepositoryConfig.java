package org.virtbackup.repository;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.UUID;

/**
 * The object {@value #NAME}: what a reader must know before it reads anything else, in plain
 * text ({@code key=value} lines): the format and its version, the repository's id, the chunk
 * size, the compression, and whether and under which key fingerprint objects are sealed.
 *
 * @param fingerprint the key's fingerprint, empty when objects are not encrypted
 * @param looseChunks whether chunks may be stored one per object too, as version 1 stored them
 *        (a version-1 repository is upgraded to version 2 before the first backup is written into it:
 *        its chunks stay where they are)
 */
public record RepositoryConfig(UUID id, int chunkSize, String fingerprint, boolean looseChunks) {

    public static final String NAME = "config";
    static final String FORMAT = "virt-backup-repository";
    static final int VERSION = 2;
    /** Chunk sizes a repository may have: powers of two from 64 KiB to 16 MiB. */
    public static final int MIN_CHUNK = 64 * 1024;
    public static final int MAX_CHUNK = 16 * 1024 * 1024;

    public RepositoryConfig {
        if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("a chunk size is a power of two from " + MIN_CHUNK + " to " + MAX_CHUNK
                    + " bytes, not " + chunkSize);
        }
        fingerprint = fingerprint == null ? "" : fingerprint;
    }

    /** A new repository's: every chunk in a pack. */
    public RepositoryConfig(UUID id, int chunkSize, String fingerprint) {
        this(id, chunkSize, fingerprint, false);
    }

    /** Whether the object read was of version 1, to be upgraded. */
    static boolean isVersion1(byte[] data) {
        return new String(data, StandardCharsets.US_ASCII).lines().anyMatch("version=1"::equals);
    }

    public boolean encrypted() {
        return !fingerprint.isEmpty();
    }

    byte[] toBytes() {
        return ("format=" + FORMAT + "\nversion=" + VERSION + "\nid=" + id + "\nchunk-size=" + chunkSize
                + "\ncompression=zstd\nencryption=" + (encrypted() ? "aes-256-gcm" : "none")
                + "\nkey-fingerprint=" + fingerprint + (looseChunks ? "\nloose-chunks=yes" : "") + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    static RepositoryConfig parse(byte[] data, String where) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(data, StandardCharsets.US_ASCII)));
        } catch (IOException | IllegalArgumentException e) {
            throw notOurs(where, "its " + NAME + " cannot be read: " + e.getMessage());
        }
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw notOurs(where, "its " + NAME + " is not of the format " + FORMAT);
        }
        String version = p.getProperty("version");
        if (!"1".equals(version) && !String.valueOf(VERSION).equals(version)) {
            throw notOurs(where, "it is of version " + version + "; this reader knows versions 1 and " + VERSION);
        }
        boolean loose = "1".equals(version) || "yes".equals(p.getProperty("loose-chunks"));
        String encryption = p.getProperty("encryption", "");
        String fingerprint = p.getProperty("key-fingerprint", "");
        if (!encryption.equals(fingerprint.isEmpty() ? "none" : "aes-256-gcm") || !"zstd".equals(p.getProperty("compression"))) {
            throw notOurs(where, "its " + NAME + " names an encryption or compression this reader does not know");
        }
        try {
            return new RepositoryConfig(UUID.fromString(p.getProperty("id", "")),
                    Integer.parseInt(p.getProperty("chunk-size", "")), fingerprint, loose);
        } catch (IllegalArgumentException e) {
            throw notOurs(where, "its " + NAME + " is invalid: " + e.getMessage());
        }
    }

    private static RepositoryException notOurs(String where, String why) {
        return new RepositoryException(RepositoryException.Problem.NOT_A_REPOSITORY, where + " is not a repository "
                + "this version can read: " + why);
    }
}
