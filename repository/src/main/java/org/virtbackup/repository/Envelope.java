package org.virtbackup.repository;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;

/**
 * How every object but the configuration is stored: a 6-byte header (magic {@code VBR1}, type,
 * flags), then the payload, zstd-compressed (with zstd's checksum) when that makes it smaller,
 * and, in an encrypted repository, sealed with AES-256-GCM under a random 96-bit nonce, the
 * header and the object's name as associated data (an object moved to another name fails).
 */
final class Envelope {

    static final byte TYPE_CHUNK = 'C';
    static final byte TYPE_INDEX = 'I';
    static final byte TYPE_MANIFEST = 'M';
    static final byte TYPE_DAMAGE = 'D';
    static final byte TYPE_LOCK = 'L';
    private static final byte[] MAGIC = {'V', 'B', 'R', '1'};
    private static final int HEADER = 6;
    private static final int COMPRESSED = 1;
    private static final int SEALED = 2;
    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final int SAMPLE = 64 * 1024;
    /** zstd's largest block: what one block can yield at most (ZSTD_BLOCKSIZE_MAX). */
    private static final int ZSTD_BLOCK = 128 * 1024;
    /**
     * Encrypts in slices: the JDK's AES-GCM intrinsics wait for their Java callers to be compiled,
     * which many small calls bring about in the first megabytes and a few 1 MiB calls only after a
     * gigabyte or so (measured with JDK 17: 9.7 s for the first GiB in 1 MiB calls, 1.6 s in
     * 16 KiB slices, 0.25 s either way once compiled). Without it a Karaf's first encrypted
     * backup took 10.2 s in the benchmark, where the next took 3.2 s (5.8 s with slices).
     */
    private static final int SLICE = 16 * 1024;

    private final RepositoryKey key;
    private final int level;
    /** Nonces of metadata objects (sealed one at a time, each with a new scratch). */
    private final SecureRandom metadataNonces = new SecureRandom();

    /** @param key {@code null} for a plain repository */
    Envelope(RepositoryKey key, int level) {
        this.key = key;
        this.level = level;
    }

    boolean sealed() {
        return key != null;
    }

    /**
     * Arrays to seal into and a zstd context, reused from object to object by one thread at a
     * time: a chunk's output is larger than half a G1 region, and a new context per call sets up
     * and clears its tables each time (the samples of a 2 GiB backup, 2048 of 64 KiB of random
     * data: 0.64 s of CPU with a context and an array each, 0.023 s with one context; a probe,
     * JDK 17, zstd-jni 1.5.7). Close it: the context's memory is native. It draws the nonces
     * too: one {@code SecureRandom} shared by a backup's threads was a lock they queued on
     * (NativePRNG instances all share one, so each scratch has its own DRBG, seeded by the JDK
     * from {@code securerandom.source} when it draws its first nonce).
     */
    static final class Scratch implements AutoCloseable {
        final byte[] packed;
        final byte[] out;
        private ZstdCompressCtx zstd;
        private SecureRandom nonces;

        Scratch(int maxPlain) {
            this(maxPlain, null);
        }

        /** @param nonces where its nonces come from; {@code null}: its own DRBG, made at the first */
        private Scratch(int maxPlain, SecureRandom nonces) {
            this.nonces = nonces;
            packed = new byte[(int) Zstd.compressBound(maxPlain)];
            out = new byte[storedBound(maxPlain)];
        }

        /** Compresses {@code plain[0, length)} into {@link #packed}; its length, or -1 when zstd fails. */
        int compress(byte[] plain, int length, int level, boolean checksum) {
            if (zstd == null) {
                zstd = new ZstdCompressCtx();
            }
            try {
                return zstd.setLevel(level).setChecksum(checksum).setContentSize(true)
                        .compressByteArray(packed, 0, packed.length, plain, 0, length);
            } catch (ZstdException e) {
                return -1;
            }
        }

        byte[] nonce() {
            if (nonces == null) {
                try {
                    nonces = SecureRandom.getInstance("DRBG");
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException("DRBG is missing from this JVM", e);
                }
            }
            byte[] nonce = new byte[NONCE];
            nonces.nextBytes(nonce);
            return nonce;
        }

        @Override
        public void close() {
            if (zstd != null) {
                zstd.close();
                zstd = null;
            }
        }
    }

    /** The stored form of an object (allocated: for metadata; chunks go through {@link #seal(byte, String, byte[], int, Scratch)}). */
    byte[] seal(byte type, String name, byte[] plain, int length) {
        try (Scratch s = new Scratch(length, metadataNonces)) {
            return Arrays.copyOf(s.out, seal(type, name, plain, length, s));
        }
    }

    /**
     * Seals into {@code scratch.out}; returns the stored length. A backup reuses its arrays: with
     * a new 1 MiB array per chunk, sealing took 1.3 s of CPU per 2 GiB, of which AES-GCM itself
     * is 0.45 s (a probe, JDK 17, 256 MiB heap: each such array is a humongous G1 object).
     */
    int seal(byte type, String name, byte[] plain, int length, Scratch scratch) {
        byte[] body = plain;
        int bodyLength = length;
        int flags = 0;
        if (worthCompressing(plain, length, scratch)) {
            int n = scratch.compress(plain, length, level, true);
            if (n >= 0 && n < length) {
                body = scratch.packed;
                bodyLength = n;
                flags |= COMPRESSED;
            }
        }
        byte[] out = scratch.out;
        if (key == null) {
            header(out, type, flags);
            System.arraycopy(body, 0, out, HEADER, bodyLength);
            return HEADER + bodyLength;
        }
        flags |= SEALED;
        byte[] nonce = scratch.nonce();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.sealingKey(), new GCMParameterSpec(TAG_BITS, nonce));
            header(out, type, flags);
            System.arraycopy(nonce, 0, out, HEADER, NONCE);
            c.updateAAD(out, 0, HEADER);
            c.updateAAD(name.getBytes(StandardCharsets.UTF_8));
            int at = HEADER + NONCE;
            int done = 0;
            for (; bodyLength - done > SLICE; done += SLICE) {
                at += c.update(body, done, SLICE, out, at);
            }
            return at + c.doFinal(body, done, bodyLength - done, out, at);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is missing from this JVM", e);
        }
    }

    /**
     * Whether zstd may shrink the data: a sample of its first {@value #SAMPLE} bytes must compress
     * to 90 % or less. Random or already compressed data (most of a full disk of media, archives,
     * encrypted volumes) is then stored as it is without a compression attempt, which on such data
     * costs as much time as hashing and sealing together.
     */
    private boolean worthCompressing(byte[] plain, int length, Scratch scratch) {
        if (length <= SAMPLE) {
            return true;
        }
        int n = scratch.compress(plain, SAMPLE, level, false); // into the scratch's array: the real attempt overwrites it
        return n >= 0 && n <= SAMPLE * 9L / 10;
    }

    /**
     * The payload of a stored object, checked: its tag when sealed, zstd's checksum when
     * compressed; {@code maxLength} bounds what a damaged or hostile object may make us allocate.
     */
    byte[] open(byte type, String name, byte[] stored, int maxLength) {
        int flags = flags(type, name, stored, stored.length);
        byte[] body = stored;
        int offset = HEADER;
        int length = stored.length - HEADER;
        if ((flags & SEALED) != 0) {
            body = new byte[stored.length];
            length = unseal(name, stored, stored.length, body);
            offset = 0;
        }
        if ((flags & COMPRESSED) == 0) {
            if (length > maxLength) {
                throw damaged(name, "it holds " + length + " bytes, more than its kind can (" + maxLength + ")");
            }
            return Arrays.copyOfRange(body, offset, offset + length);
        }
        long size = frameSize(name, body, offset, length, maxLength);
        byte[] plain = new byte[(int) size];
        decompress(name, body, offset, length, plain, size);
        return plain;
    }

    /**
     * {@link #open(byte, String, byte[], int)} of {@code stored[0, storedLength)} into {@code out},
     * whose length bounds the payload; returns the payload's length. {@code temp}, of at least
     * {@code storedLength} bytes, holds a sealed object's compressed body. No array of the payload's size is allocated:
     * a restore reads every chunk so (see {@link ChunkBuffer}).
     */
    int open(byte type, String name, byte[] stored, int storedLength, byte[] out, byte[] temp) {
        int flags = flags(type, name, stored, storedLength);
        boolean compressed = (flags & COMPRESSED) != 0;
        byte[] body = stored;
        int offset = HEADER;
        int length = storedLength - HEADER;
        if ((flags & SEALED) != 0) {
            body = compressed ? temp : out;
            length = unseal(name, stored, storedLength, body);
            offset = 0;
            if (!compressed) {
                return length;
            }
        }
        if (!compressed) {
            if (length > out.length) {
                throw damaged(name, "it holds " + length + " bytes, more than its kind can (" + out.length + ")");
            }
            System.arraycopy(stored, HEADER, out, 0, length);
            return length;
        }
        long size = frameSize(name, body, offset, length, out.length);
        decompress(name, body, offset, length, out, size);
        return (int) size;
    }

    /** The header's flags, once its magic and type are checked and its flags agree with the key. */
    private int flags(byte type, String name, byte[] stored, int storedLength) {
        if (storedLength < HEADER || !Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw damaged(name, "it does not start with the repository's magic");
        }
        if (stored[4] != type) {
            throw damaged(name, "it is of type '" + (char) stored[4] + "', not '" + (char) type + "'");
        }
        int flags = stored[5];
        if ((flags & SEALED) != 0 && key == null) {
            // A plain repository opens without a key only (an encrypted one refuses to): a flipped bit, not a key to ask for.
            throw damaged(name, "it is marked encrypted in a repository that is not");
        }
        if ((flags & SEALED) == 0 && key != null) {
            throw damaged(name, "it is not encrypted in an encrypted repository");
        }
        return flags;
    }

    /**
     * The size a frame says it holds, checked before an array of it is made: within what the kind
     * may hold, and within what zstd can make of this many bytes. No block yields more than
     * {@value #ZSTD_BLOCK} bytes, and none takes fewer than 4 (an RLE block), so a small object
     * claiming gigabytes (plain repositories are not authenticated) is damaged, not an allocation.
     */
    private static long frameSize(String name, byte[] body, int offset, int length, int maxLength) {
        long size;
        try {
            size = Zstd.getFrameContentSize(body, offset, length);
        } catch (ZstdException e) {
            size = -1;
        }
        if (size < 0 || size > maxLength) {
            throw damaged(name, "its compressed frame is unreadable or too large (" + size + " bytes)");
        }
        long possible = (length / 4L + 1) * ZSTD_BLOCK;
        if (size > possible) {
            throw damaged(name, "its compressed frame claims " + size + " bytes, more than " + length
                    + " compressed bytes can hold (" + possible + ")");
        }
        return size;
    }

    private static void decompress(String name, byte[] body, int offset, int length, byte[] plain, long size) {
        try {
            long n = Zstd.decompressByteArray(plain, 0, (int) size, body, offset, length);
            if (Zstd.isError(n) || n != size) {
                throw damaged(name, "it does not decompress (" + (Zstd.isError(n) ? Zstd.getErrorName(n) : n + " bytes") + ")");
            }
        } catch (ZstdException e) { // zstd-jni throws for some corruptions instead of returning an error code
            throw damaged(name, "it does not decompress (" + e.getMessage() + ")");
        }
    }

    /** Decrypts a sealed object's body into {@code out}; returns its length. */
    private int unseal(String name, byte[] stored, int storedLength, byte[] out) {
        if (storedLength < HEADER + NONCE + TAG_BITS / 8) {
            throw damaged(name, "it is too short to be sealed");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key.sealingKey(), new GCMParameterSpec(TAG_BITS, stored, HEADER, NONCE));
            c.updateAAD(stored, 0, HEADER);
            c.updateAAD(name.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(stored, HEADER + NONCE, storedLength - HEADER - NONCE, out, 0);
        } catch (AEADBadTagException e) {
            throw damaged(name, "its authentication tag does not match");
        } catch (ShortBufferException e) {
            throw damaged(name, "it holds more than its kind can (" + out.length + " bytes)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM is missing from this JVM", e);
        }
    }

    /** The most bytes an object of {@code maxPlain} bytes of payload may take stored. */
    static int storedBound(int maxPlain) {
        return HEADER + NONCE + (int) Zstd.compressBound(maxPlain) + TAG_BITS / 8;
    }

    private static void header(byte[] out, byte type, int flags) {
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[4] = type;
        out[5] = (byte) flags;
    }

    static RepositoryException damaged(String name, String why) {
        return new RepositoryException(RepositoryException.Problem.DAMAGED, "object " + name + " is damaged: " + why);
    }
}
