package org.virtbackup.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key of an encrypted repository, read from a key file outside it: 64 hex digits (32 random
 * bytes), the file readable by its owner only. Three keys are derived from it with HKDF-Expand
 * (RFC 5869; the file's bytes are the pseudo-random key): the AES-256-GCM key that seals every
 * object, the HMAC-SHA256 key that names chunks, and the fingerprint recorded in the repository.
 * Neither the key nor a derived key is ever printed; {@link #toString()} gives the fingerprint.
 */
public final class RepositoryKey {

    private static final Set<PosixFilePermission> NOT_OWNER = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final SecretKeySpec sealing;
    private final SecretKeySpec naming;
    private final String fingerprint;

    private RepositoryKey(byte[] master) {
        this.sealing = new SecretKeySpec(expand(master, "virt-backup sealing"), "AES");
        this.naming = new SecretKeySpec(expand(master, "virt-backup chunk names"), "HmacSHA256");
        this.fingerprint = HexFormat.of().formatHex(expand(master, "virt-backup fingerprint"), 0, 16);
    }

    /** Reads a key file; refused when it is readable or writable by anyone but its owner. */
    public static RepositoryKey read(Path keyFile) {
        try {
            Path real = keyFile.toRealPath();
            String owner = Files.getOwner(real, LinkOption.NOFOLLOW_LINKS).getName();
            if (!owner.equals(System.getProperty("user.name"))) {
                throw new RepositoryException(RepositoryException.Problem.KEY_MISMATCH, "the key file " + keyFile
                        + " is owned by " + owner + ", not by " + System.getProperty("user.name")
                        + ", whom the service runs as: chown it");
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(real, LinkOption.NOFOLLOW_LINKS);
            if (perms.stream().anyMatch(NOT_OWNER::contains)) {
                throw new RepositoryException(RepositoryException.Problem.KEY_MISMATCH, "the key file " + keyFile
                        + " is open to others (" + PosixFilePermissions.toString(perms) + "): chmod 600 it");
            }
            String text = Files.readString(real, StandardCharsets.US_ASCII).strip();
            if (!text.matches("[0-9a-fA-F]{64}")) {
                throw new RepositoryException(RepositoryException.Problem.KEY_MISMATCH, "the key file " + keyFile
                        + " does not hold a key (64 hex digits, as `openssl rand -hex 32` writes)");
            }
            return new RepositoryKey(HexFormat.of().parseHex(text));
        } catch (IOException e) {
            throw new RepositoryException(RepositoryException.Problem.KEY_MISSING, "cannot read the key file " + keyFile
                    + ": " + e.getMessage(), e);
        }
    }

    /** Writes a new random key file (0600); refused if the file exists. */
    public static RepositoryKey generate(Path keyFile) {
        byte[] master = new byte[32];
        new SecureRandom().nextBytes(master);
        try {
            Files.writeString(Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------"))), HexFormat.of().formatHex(master) + "\n",
                    StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new RepositoryException(RepositoryException.Problem.IO, "cannot write the key file " + keyFile + ": "
                    + e.getMessage(), e);
        }
        return new RepositoryKey(master);
    }

    /** 32 hex digits identifying the key, recorded in the repository: a wrong key is told apart from damage. */
    public String fingerprint() {
        return fingerprint;
    }

    SecretKeySpec sealingKey() {
        return sealing;
    }

    /** A new HMAC-SHA256 under the naming key (a Mac is not thread-safe). */
    Mac namingMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(naming);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    /** HKDF-Expand with one block: HMAC-SHA256(prk, info || 0x01). */
    private static byte[] expand(byte[] prk, String info) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            mac.update(info.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 1);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "RepositoryKey[" + fingerprint + "]";
    }
}
