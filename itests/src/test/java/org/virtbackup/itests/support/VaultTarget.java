package org.virtbackup.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.virtbackup.api.DomainRef;
import org.virtbackup.spi.StorageTarget;

/**
 * A StorageTarget of another bundle (the test's): backups as {@code <root>/<backup uuid>}, flat,
 * with a free-space figure the test sets. Counts removals to show they come through it.
 */
public final class VaultTarget implements StorageTarget {

    private final Path root;
    private final AtomicLong space = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong removed = new AtomicLong();

    public VaultTarget(Path root) {
        this.root = root;
    }

    public void space(long bytes) {
        space.set(bytes);
    }

    public long removed() {
        return removed.get();
    }

    @Override
    public Path create(DomainRef domain, UUID backup) {
        try {
            return Files.createDirectory(root.resolve(backup.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public List<Path> backups() {
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void remove(Path backupDirectory) {
        removed.incrementAndGet();
        Cmd.ok("rm", "-r", "--", backupDirectory.toString());
    }

    @Override
    public long usableSpace() {
        return space.get();
    }
}
