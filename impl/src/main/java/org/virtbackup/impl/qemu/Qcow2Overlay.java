package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes an empty qcow2 (version 3) overlay on a qcow2 backing file, with every L2 table already
 * allocated.
 *
 * <p>Why not {@code qemu-img create}: QEMU writes a new L2 table, flushes, then links it into the L1
 * table and flushes again, so each 512 MiB region an incremental backup touches costs the job about
 * three {@code fdatasync}s (measured: 23 to 26 per 64 scattered MiB on a 4 GiB disk, about half the
 * job's time). With the tables in place the job only fills data clusters and flushes once at its end.
 * The tables are holes in the file: 64 KiB of apparent size per 512 MiB of disk, no blocks used
 * until QEMU writes to them. Layout, one 64 KiB cluster each: header (with the backing file's
 * name and format), refcount table, refcount block, L1 table (as many clusters as it needs), then
 * the L2 tables. Format: QEMU's docs/interop/qcow2.txt.
 */
public final class Qcow2Overlay {

    private static final int CLUSTER_BITS = 16;
    private static final long CLUSTER = 1L << CLUSTER_BITS;
    /** 16-bit refcounts: one refcount block counts this many clusters (2 GiB of file). */
    private static final long REFCOUNTS_PER_BLOCK = CLUSTER / 2;
    private static final long L2_ENTRIES = CLUSTER / 8;
    private static final int HEADER_LENGTH = 112;
    private static final int EXT_BACKING_FORMAT = 0xE2792ACA;
    private static final long OFLAG_COPIED = 1L << 63;
    private static final int MAX_BACKING_NAME = 1023;

    private Qcow2Overlay() {
    }

    /** Whether {@link #write} can make an overlay of this size (up to about 16 TiB). */
    public static boolean fits(long virtualSize) {
        return 3 + l1Clusters(virtualSize) + l2Tables(virtualSize) <= REFCOUNTS_PER_BLOCK;
    }

    /** The virtual size recorded in a qcow2 image's header. */
    public static long virtualSize(Path qcow2) throws IOException {
        try (FileChannel ch = FileChannel.open(qcow2, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(32);
            if (ch.read(header, 0) < 32 || header.getInt(0) != 0x514649fb) {
                throw new IOException(qcow2 + " is not a qcow2 image");
            }
            return header.getLong(24);
        }
    }

    /**
     * Creates {@code image} (it must not exist) as an overlay of {@code virtualSize} bytes on
     * {@code backing}, a qcow2 file named as QEMU should resolve it (relative to {@code image}).
     */
    public static void write(Path image, String backing, long virtualSize, Set<PosixFilePermission> mode) throws IOException {
        byte[] name = backing.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > MAX_BACKING_NAME) {
            throw new IllegalArgumentException("backing file name must have 1 to " + MAX_BACKING_NAME + " bytes: " + backing);
        }
        if (!fits(virtualSize)) {
            throw new IllegalArgumentException("too large for one refcount block: " + virtualSize + " bytes");
        }
        long l1Size = l2Tables(virtualSize);
        long l1Clusters = l1Clusters(virtualSize);
        long refcountTable = CLUSTER;
        long refcountBlock = 2 * CLUSTER;
        long l1Table = 3 * CLUSTER;
        long firstL2 = l1Table + l1Clusters * CLUSTER;
        long clusters = 3 + l1Clusters + l1Size;

        ByteBuffer header = ByteBuffer.allocate((int) CLUSTER);
        header.putInt(0x514649fb).putInt(3);                  // magic "QFI\xfb", version 3
        int extensions = HEADER_LENGTH;
        int extensionsEnd = extensions + 8 + 8 + 8;           // backing format ("qcow2" padded), end mark
        header.putLong(extensionsEnd).putInt(name.length);   // backing file offset, size
        header.putInt(CLUSTER_BITS).putLong(virtualSize);
        header.putInt(0);                                     // no encryption
        header.putInt((int) l1Size).putLong(l1Table);
        header.putLong(refcountTable).putInt(1);              // refcount table offset, clusters
        header.putInt(0).putLong(0);                          // no snapshots
        header.putLong(0).putLong(0).putLong(0);              // incompatible, compatible, autoclear features
        header.putInt(4).putInt(HEADER_LENGTH);               // refcount order (16 bits), header length
        header.put((byte) 0);                                 // compression type: zlib; 7 bytes of padding follow
        header.position(extensions);
        header.putInt(EXT_BACKING_FORMAT).putInt(5).put("qcow2".getBytes(StandardCharsets.US_ASCII)).put(new byte[3]);
        header.putInt(0).putInt(0);                           // end of extensions
        header.position(extensionsEnd);
        header.put(name);
        header.clear();

        ByteBuffer refcounts = ByteBuffer.allocate((int) CLUSTER);
        refcounts.putLong(0, refcountBlock);
        ByteBuffer block = ByteBuffer.allocate((int) CLUSTER);
        for (int i = 0; i < clusters; i++) {
            block.putShort(2 * i, (short) 1);
        }
        ByteBuffer l1 = ByteBuffer.allocate((int) (l1Clusters * CLUSTER));
        for (int i = 0; i < l1Size; i++) {
            l1.putLong(8 * i, (firstL2 + i * CLUSTER) | OFLAG_COPIED);
        }

        FileAttribute<Set<PosixFilePermission>> owner = PosixFilePermissions.asFileAttribute(mode);
        try (FileChannel ch = FileChannel.open(image, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), owner)) {
            writeFully(ch, header, 0);
            writeFully(ch, refcounts, refcountTable);
            writeFully(ch, block, refcountBlock);
            writeFully(ch, l1, l1Table);
            ch.write(ByteBuffer.allocate(1), clusters * CLUSTER - 1); // the L2 tables: zeros, a hole before this byte
            ch.force(true);
        }
    }

    private static long l2Tables(long virtualSize) {
        return Math.max(1, (virtualSize + L2_ENTRIES * CLUSTER - 1) / (L2_ENTRIES * CLUSTER));
    }

    private static long l1Clusters(long virtualSize) {
        return (l2Tables(virtualSize) * 8 + CLUSTER - 1) / CLUSTER;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            at += ch.write(buf, at);
        }
    }
}
