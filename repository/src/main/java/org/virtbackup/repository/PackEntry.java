package org.virtbackup.repository;

/** Where a pack holds a chunk: the chunk's stored envelope is {@code length} bytes at {@code offset}. */
record PackEntry(ChunkId id, int offset, int length) {
}
