package org.virtbackup.repository;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A flat store of named objects, where a repository keeps everything: a directory, a bucket.
 * Names are relative, '/'-separated, of letters, digits, '.', '-' and '_'.
 */
@ConsumerType
public interface ObjectStore {

    /** Writes an object whole or not at all, replacing one of that name; durable when it returns. */
    void put(String name, byte[] data) throws IOException;

    /**
     * {@link #put}, whole or not at all, but durable only after a {@link #sync} naming it: for
     * many objects written together (a backup's chunks), made durable at once.
     */
    default void putUnsynced(String name, byte[] data) throws IOException {
        put(name, data);
    }

    /** Makes the objects of these names, written by anyone, durable: after it, a crash keeps them. */
    default void sync(Collection<String> names) throws IOException {
    }

    /** An object's content; empty if there is none of that name. */
    Optional<byte[]> get(String name) throws IOException;

    /**
     * Part of an object: up to {@code length} bytes from {@code offset} (fewer where it ends);
     * empty if there is no object of that name. A chunk is read from its pack this way.
     */
    default Optional<byte[]> get(String name, long offset, int length) throws IOException {
        return get(name).map(all -> Arrays.copyOfRange(all, (int) Math.min(offset, all.length),
                (int) Math.min(offset + length, all.length)));
    }

    /**
     * {@link #get(String, long, int)} into {@code into}: returns the bytes read (fewer where the
     * object ends), -1 if there is no object of that name.
     */
    default int read(String name, long offset, byte[] into, int length) throws IOException {
        Optional<byte[]> part = get(name, offset, length);
        if (part.isEmpty()) {
            return -1;
        }
        System.arraycopy(part.get(), 0, into, 0, part.get().length);
        return part.get().length;
    }

    /**
     * A new object written piece by piece (a pack of chunks), under its name only when
     * {@link NewObject#commit committed}: whole and durable then, or not at all.
     */
    default NewObject create(String name) throws IOException {
        return new NewObject() {
            private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

            @Override
            public void write(byte[] data, int offset, int length) {
                bytes.write(data, offset, length);
            }

            @Override
            public long size() {
                return bytes.size();
            }

            @Override
            public void commit() throws IOException {
                put(name, bytes.toByteArray());
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * Commits several new objects of this store, each as {@link NewObject#commit} does: when this
     * returns, each is whole and durable under its name. A store may make them durable together,
     * which costs less than one at a time; when it throws, some may be committed and the others
     * are not (close them all).
     */
    default void commit(List<NewObject> objects) throws IOException {
        for (NewObject o : objects) {
            o.commit();
        }
    }

    /**
     * How many new objects are best committed together by {@link #commit(List)}: 1 where that
     * saves nothing, or where each holds memory until it is committed (an upload's last part).
     */
    default int commitGroup() {
        return 1;
    }

    /** An object being written: appended to, then committed; closed uncommitted, it leaves nothing. */
    interface NewObject extends AutoCloseable {

        void write(byte[] data, int offset, int length) throws IOException;

        /** Bytes written so far. */
        long size();

        /** Puts it under its name, whole and durable. */
        void commit() throws IOException;

        /** Abandons it unless it was committed. */
        @Override
        void close() throws IOException;
    }

    /** An object's size in bytes, if the store can tell without reading it; empty if there is none or it cannot. */
    default OptionalLong size(String name) throws IOException {
        return OptionalLong.empty();
    }

    /**
     * When the object was last written, by the store's own clock (a file's modification time, an
     * S3 object's Last-Modified): what the leases of processes sharing a repository are judged
     * by, so the hosts' clocks need not agree. Empty if there is no object of that name, or the
     * store cannot tell (then every lease in it counts as live until removed).
     */
    default Optional<Instant> modified(String name) throws IOException {
        return Optional.empty();
    }

    /** Whether an object of that name exists. */
    boolean exists(String name) throws IOException;

    /** Removes an object; nothing happens if there is none. */
    void delete(String name) throws IOException;

    /** The names of the objects whose names start with the prefix, in no particular order. */
    List<String> list(String prefix) throws IOException;

    /**
     * Gives each name {@link #list} would return to the action, one at a time: a store of
     * millions of chunks need not hold all their names at once (a collection does not).
     */
    default void forEach(String prefix, Consumer<String> action) throws IOException {
        list(prefix).forEach(action);
    }

    /**
     * Removes what writes cut short by a crash left (temporary files), older than the age given;
     * returns how many. A store whose writes leave nothing behind has nothing to do.
     */
    default int removeTemporaries(long olderThanMillis) throws IOException {
        return 0;
    }

    /** Where the store is, for messages (never with credentials). */
    String describe();
}
