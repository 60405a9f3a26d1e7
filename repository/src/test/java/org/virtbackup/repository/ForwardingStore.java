package org.virtbackup.repository;

import java.io.IOException;
import java.util.List;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** An object store that passes everything to another. */
class ForwardingStore implements ObjectStore {
    private final ObjectStore to;

    ForwardingStore(ObjectStore to) {
        this.to = to;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        to.put(name, data);
    }

    @Override
    public Optional<byte[]> get(String name) throws IOException {
        return to.get(name);
    }

    @Override
    public Optional<byte[]> get(String name, long offset, int length) throws IOException {
        return to.get(name, offset, length);
    }

    @Override
    public OptionalLong size(String name) throws IOException {
        return to.size(name);
    }

    @Override
    public boolean exists(String name) throws IOException {
        return to.exists(name);
    }

    @Override
    public void delete(String name) throws IOException {
        to.delete(name);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return to.list(prefix);
    }

    @Override
    public Optional<Instant> modified(String name) throws IOException {
        return to.modified(name);
    }

    @Override
    public String describe() {
        return to.describe();
    }
}
