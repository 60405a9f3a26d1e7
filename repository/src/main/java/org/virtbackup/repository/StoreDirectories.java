package org.virtbackup.repository;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The directories (0700) of a {@link FileObjectStore}: made when an object needs one, and synced
 * when its objects' names must be durable, each with its parents up to the store's root. A
 * directory is not synced into its parent when it is made: that sync waited for the file
 * system's journal in the thread that opened a pack, under its lane, while the backup's writes
 * kept the device busy (26 ms each, about 100 per full backup into a new repository; README,
 * Performance). The commit that makes a name durable syncs the parents anyway, in a batch where
 * the journal is committed once; a parent unchanged since costs little to sync. Syncing them on
 * every commit, not only where this store made a directory, also covers a directory another
 * process made and has not synced yet.
 */
final class StoreDirectories {

    /** How a directory is made durable: {@code fsync} on it (a seam for the tests). */
    interface Force {
        void force(Path dir) throws IOException;
    }

    /** The real one: {@code fsync} of the directory. */
    static final Force FSYNC = StoreDirectories::fsync;

    private final Path root;
    private final Force force;

    StoreDirectories(Path root, Force force) {
        this.root = root;
        this.force = force;
    }

    /** Makes the directory and its missing parents (not yet durable: see {@link #sync}). */
    Path make(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return dir;
        }
        make(dir.getParent());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // made by another writer meanwhile
        }
        return dir;
    }

    /**
     * Syncs the directories and their parents up to the root, each once, several at a time: the
     * names in them are durable. A directory removed since (a collection removes those it empties)
     * holds nothing to keep.
     */
    void sync(Collection<Path> dirs) throws IOException {
        Set<Path> all = new LinkedHashSet<>();
        for (Path d : dirs) {
            for (Path p = d; p != null && p.startsWith(root); p = p.getParent()) {
                if (!all.add(p)) {
                    break; // its parents are in already
                }
            }
        }
        try {
            all.parallelStream().forEach(d -> {
                try {
                    force.force(d);
                } catch (NoSuchFileException e) {
                    // emptied and removed since
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void fsync(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
