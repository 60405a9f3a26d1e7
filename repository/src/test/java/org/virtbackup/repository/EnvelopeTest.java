package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Objects sealed one after another through one reused scratch (its arrays and zstd context) open as they were. */
class EnvelopeTest {

    private static final int MIB = 1 << 20;
    /** Where a plain object's zstd frame starts: after the envelope's 6-byte header. */
    private static final int FRAME = 6;
    /** The Content_Checksum_flag of the frame header descriptor (the byte after zstd's 4-byte magic). */
    private static final int CHECKSUM_FLAG = 0x04;

    @TempDir
    Path tmp;

    @Test
    void aReusedScratchSealsEachObjectOnItsOwn() {
        sealAndOpen(new Envelope(null, 3));
        sealAndOpen(new Envelope(RepositoryKey.generate(tmp.resolve("key")), 3));
    }

    /**
     * A plain object's zstd frame says how much it holds, and an array of that size would be made
     * before decompressing: a few bytes claiming 60 MiB are damaged, while the densest real frame
     * (zeros, in blocks of 4 bytes for 128 KiB) still opens.
     */
    @Test
    void aFrameClaimingMoreThanItsBytesCanHoldIsDamagedNotAnAllocation() {
        Envelope plain = new Envelope(null, 1);
        byte[] zeros = new byte[32 * MIB];
        byte[] stored = plain.seal(Envelope.TYPE_MANIFEST, "zeros", zeros, zeros.length);
        assertTrue(stored.length < 4096, stored.length + " bytes");
        assertArrayEquals(zeros, plain.open(Envelope.TYPE_MANIFEST, "zeros", stored, 64 * MIB));

        long claimed = 60L * MIB;
        byte[] forged = {'V', 'B', 'R', '1', Envelope.TYPE_MANIFEST, 1, // compressed
            0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, (byte) 0xE0, // zstd magic; one segment, an 8-byte content size
            (byte) claimed, (byte) (claimed >> 8), (byte) (claimed >> 16), (byte) (claimed >> 24), 0, 0, 0, 0,
            1, 0, 0}; // one block: the last, raw, empty
        RepositoryException e = assertThrows(RepositoryException.class,
                () -> plain.open(Envelope.TYPE_MANIFEST, "forged", forged, 64 * MIB));
        assertEquals(RepositoryException.Problem.DAMAGED, e.problem());
        assertTrue(e.getMessage().contains("claims " + claimed + " bytes"), e.getMessage());
    }

    /** Its flags byte is not authenticated in a plain repository: a flipped encryption bit is damage, like any other. */
    @Test
    void anObjectMarkedEncryptedInAPlainRepositoryIsDamaged() {
        Envelope plain = new Envelope(null, 1);
        byte[] text = text(4096, 9);
        byte[] stored = plain.seal(Envelope.TYPE_MANIFEST, "m", text, text.length);
        stored[5] |= 0x02; // the flag bit that says sealed
        RepositoryException e = assertThrows(RepositoryException.class,
                () -> plain.open(Envelope.TYPE_MANIFEST, "m", stored, MIB));
        assertEquals(RepositoryException.Problem.DAMAGED, e.problem(), e.getMessage());
    }

    private static void sealAndOpen(Envelope envelope) {
        byte[][] objects = {text(MIB, 1), random(MIB, 2), text(MIB, 3), text(MIB - 4096, 4), random(MIB, 5),
            text(1000, 6), random(MIB, 7), text(MIB, 8)};
        Envelope.Scratch scratch = new Envelope.Scratch(MIB);
        try {
            for (int i = 0; i < objects.length; i++) {
                if (i == 5) {
                    scratch.close(); // a closed scratch takes a new context at its next use
                }
                byte[] plain = objects[i];
                String name = "object-" + i;
                byte[] stored = Arrays.copyOf(scratch.out, envelope.seal(Envelope.TYPE_CHUNK, name, plain, plain.length,
                        scratch));
                assertArrayEquals(plain, envelope.open(Envelope.TYPE_CHUNK, name, stored, MIB), name);
                boolean compressible = i != 1 && i != 4 && i != 6;
                assertTrue(compressible ? stored.length < plain.length / 2 : stored.length > plain.length,
                        name + ": " + stored.length + " bytes stored for " + plain.length);
                if (compressible && !envelope.sealed()) {
                    // The sample before it was compressed without zstd's checksum: the stored frame has it again.
                    assertTrue((stored[FRAME + 4] & CHECKSUM_FLAG) != 0, name + ": its zstd frame has no checksum");
                }
            }
        } finally {
            scratch.close();
        }
    }

    /** Lines of numbered text: zstd shrinks it to a fraction. */
    private static byte[] text(int size, int seed) {
        StringBuilder b = new StringBuilder();
        Random r = new Random(seed);
        while (b.length() < size) {
            b.append("line ").append(r.nextInt(1000)).append(" of object ").append(seed).append('\n');
        }
        return Arrays.copyOf(b.toString().getBytes(StandardCharsets.US_ASCII), size);
    }

    private static byte[] random(int size, int seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
