package org.virtbackup.repository;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The object store seen through the envelope: objects sealed as they are written, opened and
 * checked as they are read, each read bounded by what its kind may hold, so a damaged or hostile
 * object never makes us allocate more. Store failures become {@link RepositoryException}s.
 */
final class SealedObjects {

    /** A manifest or damage record larger than this is damaged (a descriptor with the domain's XML is kilobytes). */
    static final int MAX_METADATA = 64 << 20;
    /** What a stored object may add to its payload: envelope, nonce, tag, zstd's worst case. */
    private static final int OVERHEAD = 64 << 10;

    private final ObjectStore store;
    private final Envelope envelope;

    SealedObjects(ObjectStore store, Envelope envelope) {
        this.store = store;
        this.envelope = envelope;
    }

    /** Seals and writes an object, durable when it returns; returns its stored size. */
    long put(byte type, String name, byte[] plain, int length) {
        return write(type, name, plain, length, true);
    }

    /** {@link #put}, durable only after {@link #sync} names it. */
    long putUnsynced(byte type, String name, byte[] plain, int length) {
        return write(type, name, plain, length, false);
    }

    private long write(byte type, String name, byte[] plain, int length, boolean durable) {
        byte[] sealed = envelope.seal(type, name, plain, length);
        try {
            if (durable) {
                store.put(name, sealed);
            } else {
                store.putUnsynced(name, sealed);
            }
        } catch (IOException e) {
            throw failed("cannot write " + name + " to " + store.describe(), e);
        }
        return sealed.length;
    }

    void sync(Collection<String> names) {
        try {
            store.sync(names);
        } catch (IOException e) {
            throw failed("cannot sync objects in " + store.describe(), e);
        }
    }

    /** An object's payload, checked; damaged when missing or when it would exceed {@code maxPlain} bytes. */
    byte[] read(byte type, String name, int maxPlain) {
        return find(type, name, maxPlain).orElseThrow(() -> Envelope.damaged(name, "it is missing"));
    }

    /** {@link #read}, empty when there is no such object. */
    Optional<byte[]> find(byte type, String name, int maxPlain) {
        long max = (long) maxPlain + OVERHEAD;
        try {
            OptionalLong size = store.size(name);
            if (size.isPresent() && size.getAsLong() > max) {
                throw Envelope.damaged(name, "it is " + size.getAsLong() + " bytes, more than its kind can be (" + max + ")");
            }
            return store.get(name).map(stored -> envelope.open(type, name, stored, maxPlain));
        } catch (IOException e) {
            throw failed("cannot read " + name + " from " + store.describe(), e);
        }
    }

    /** Removes an object; nothing happens if there is none. */
    void delete(String name) {
        try {
            store.delete(name);
        } catch (IOException e) {
            throw failed("cannot remove " + name + " from " + store.describe(), e);
        }
    }

    List<String> list(String prefix) {
        try {
            return store.list(prefix);
        } catch (IOException e) {
            throw failed("cannot list " + prefix + " in " + store.describe(), e);
        }
    }

    /** {@link ObjectStore#forEach}: names one at a time. */
    void forEach(String prefix, Consumer<String> action) {
        try {
            store.forEach(prefix, action);
        } catch (IOException e) {
            throw failed("cannot list " + prefix + " in " + store.describe(), e);
        }
    }

    static RepositoryException failed(String what, IOException e) {
        return new RepositoryException(RepositoryException.Problem.IO, what + ": " + e.getMessage(), e);
    }
}
