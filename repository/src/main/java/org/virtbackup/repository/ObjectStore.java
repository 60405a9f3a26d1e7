package org.virtbackup.repository;

import java.io.IOException;
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

    /** An object's size in bytes, if the store can tell without reading it; empty if there is none or it cannot. */
    default OptionalLong size(String name) throws IOException {
        return OptionalLong.empty();
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
