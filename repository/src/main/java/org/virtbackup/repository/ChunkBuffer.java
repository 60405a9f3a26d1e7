package org.virtbackup.repository;

/**
 * The arrays a reader of chunks reuses from chunk to chunk, one per thread: the chunk's content
 * ({@link #data()}) and the room to read and open its envelope. A restore allocated three arrays
 * of about 1 MiB per chunk, each a humongous object for G1 in a small heap.
 */
public final class ChunkBuffer {

    final byte[] stored;
    final byte[] temp;
    final byte[] data;

    ChunkBuffer(int chunkSize) {
        int bound = Envelope.storedBound(chunkSize);
        stored = new byte[bound];
        temp = new byte[bound];
        data = new byte[chunkSize];
    }

    /** The content of the chunk read last, from index 0 to the length its read returned. */
    public byte[] data() {
        return data;
    }
}
