package org.virtbackup.repository;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Reading chunks: from the newest copy the packs hold (an older one when it is damaged and the
 * caller allows it), or, in a repository with loose chunks, from the chunk's own object; into a
 * reader's {@link ChunkBuffer}, checked by its envelope and, where asked, its name.
 */
final class ChunkReads {

    private final Repository repository;
    private final Envelope envelope;

    ChunkReads(Repository repository, Envelope envelope) {
        this.repository = repository;
        this.envelope = envelope;
    }

    /**
     * Reads a chunk into the buffer, checked: its envelope always, its content's name when
     * {@code hash}; with {@code fallBack}, an older copy serves when the newest is damaged.
     */
    int read(ChunkId id, boolean hash, boolean fallBack, ChunkBuffer b) {
        return read(id, hash, fallBack, false, b);
    }

    private int read(ChunkId id, boolean hash, boolean fallBack, boolean again, ChunkBuffer b) {
        if (id.isZero()) {
            Arrays.fill(b.data, (byte) 0);
            return b.data.length;
        }
        String name = id.objectName();
        List<PackIndex.Location> copies = repository.packs().find(id);
        if (copies.isEmpty()) {
            repository.packs().refresh(); // stored by another process since we looked
            copies = repository.packs().find(id);
        }
        if (copies.isEmpty()) {
            if (!repository.config().looseChunks()) {
                throw Envelope.damaged(name, "no pack holds it");
            }
            byte[] data = repository.objects().read(Envelope.TYPE_CHUNK, name, repository.config().chunkSize());
            System.arraycopy(data, 0, b.data, 0, data.length);
            return checked(id, b.data, data.length, hash);
        }
        RepositoryException first = null;
        for (PackIndex.Location at : copies) { // the newest first; for a restore, an older copy serves when it is damaged
            try {
                if (at.length() > b.stored.length) {
                    throw Envelope.damaged(name, "its copy is " + at.length() + " bytes, more than a chunk can take");
                }
                if (!repository.packs().read(at, b.stored)) {
                    if (again) {
                        throw Envelope.damaged(name, "its pack " + at.pack() + " is missing");
                    }
                    repository.packs().refresh(); // its pack was rewritten by a collection meanwhile: look again
                    return read(id, hash, fallBack, true, b);
                }
                int n = envelope.open(Envelope.TYPE_CHUNK, name, b.stored, at.length(), b.data, b.temp);
                return checked(id, b.data, n, hash);
            } catch (RepositoryException e) {
                if (e.problem() != RepositoryException.Problem.DAMAGED) {
                    throw e;
                }
                first = first != null ? first : new RepositoryException(e.problem(), e.getMessage() + " (in " + at.pack()
                        + " at offset " + at.offset() + ")", e);
                if (!fallBack) {
                    break;
                }
            }
        }
        throw first;
    }

    private int checked(ChunkId id, byte[] data, int length, boolean hash) {
        if (hash && !repository.name(data, length).equals(id)) {
            throw Envelope.damaged(id.objectName(), "its content does not hash to its name");
        }
        return length;
    }

    /** Whether the repository holds the chunk (not whether it is whole). */
    boolean holds(ChunkId id) {
        if (repository.packs().contains(id)) {
            return true;
        }
        try {
            return repository.config().looseChunks() && repository.store().exists(id.objectName());
        } catch (IOException e) {
            throw Repository.failed("cannot look for chunk " + id, e);
        }
    }
}
