package org.virtbackup.repository;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An object store in a local directory: an object is a file (0600) under directories (0700)
 * named after its name's parts. A put writes a temporary file, syncs it, renames it over the
 * name and syncs its directory with its parents ({@link StoreDirectories}), so a crash leaves
 * the old object or the new one, never a torn one.
 */
public final class FileObjectStore implements ObjectStore {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    private static final String TEMPORARY = ".tmp-";
    /** Files committed together: 16 packs, 256 MiB (each holds a 1 MiB staging buffer until then). */
    private static final int COMMIT_GROUP = 16;

    private final Path root;
    private final DirectWrites writes;
    private final StoreDirectories directories;

    /** A store in this directory, which must exist. */
    public FileObjectStore(Path root) {
        this(root, StoreDirectories.FSYNC);
    }

    /** The same, its directories made durable by {@code force} (tests: which were synced). */
    FileObjectStore(Path root, StoreDirectories.Force force) {
        this.root = root.toAbsolutePath().normalize();
        this.writes = new DirectWrites(this.root);
        this.directories = new StoreDirectories(this.root, force);
    }

    public Path root() {
        return root;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        putUnsynced(name, data);
        directories.sync(List.of(file(name).getParent()));
    }

    /** The file is synced, its name in its directory not yet: {@link #sync(Collection)} does that for many at once. */
    @Override
    public void putUnsynced(String name, byte[] data) throws IOException {
        for (int attempt = 1;; attempt++) {
            try {
                write(file(name), data);
                return;
            } catch (NoSuchFileException e) {
                if (attempt == 3) {
                    throw e; // its directory keeps going: a delete of the last object in it each time
                }
            }
        }
    }

    private void write(Path file, byte[] data) throws IOException {
        Path dir = directories.make(file.getParent());
        Path tmp = dir.resolve(TEMPORARY + UUID.randomUUID());
        try {
            writes.write(tmp, data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Syncs the directories of these objects (each once, several at a time): their names are durable. */
    @Override
    public void sync(Collection<String> names) throws IOException {
        directories.sync(names.stream().map(n -> file(n).getParent()).toList());
    }

    @Override
    public Optional<byte[]> get(String name) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(file(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<byte[]> get(String name, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file(name), StandardOpenOption.READ)) {
            byte[] part = new byte[available(ch, offset, length)];
            readFully(ch, offset, part, part.length);
            return Optional.of(part);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public int read(String name, long offset, byte[] into, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file(name), StandardOpenOption.READ)) {
            return readFully(ch, offset, into, available(ch, offset, length));
        } catch (NoSuchFileException e) {
            return -1;
        }
    }

    private static int available(FileChannel ch, long offset, int length) throws IOException {
        return (int) Math.max(0, Math.min(length, ch.size() - offset));
    }

    /** Reads until the range is read: a file does not shrink under us (objects are replaced by rename). */
    private static int readFully(FileChannel ch, long offset, byte[] into, int length) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into, 0, length);
        while (b.hasRemaining() && ch.read(b, offset + b.position()) >= 0) {
            // until the range is read
        }
        return b.position();
    }

    /** A temporary file beside the name, renamed over it and its directory synced when committed. */
    @Override
    public NewObject create(String name) throws IOException {
        Path file = file(name);
        Path dir;
        Path tmp;
        DirectAppender out;
        for (int attempt = 1;; attempt++) {
            dir = directories.make(file.getParent());
            tmp = dir.resolve(TEMPORARY + UUID.randomUUID());
            try {
                out = new DirectAppender(writes, tmp, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                break;
            } catch (NoSuchFileException e) {
                if (attempt == 3) {
                    throw e; // its directory keeps going: a collection emptying it each time
                }
            }
        }
        return pending(file, dir, tmp, out);
    }

    private NewObject pending(Path file, Path dir, Path tmp, DirectAppender out) {
        return new Pending(file, dir, tmp, out);
    }

    /**
     * Commits new files together: each written whole, then each synced (the first sync commits
     * the file system's journal for all of them, and the others cost little), then each renamed,
     * then each directory synced once. One at a time, each sync waited for the device while the
     * next file's writes waited behind it: 2 GiB stored as 128 packs took about 4 % longer (README,
     * Performance).
     */
    @Override
    public void commit(List<NewObject> objects) throws IOException {
        List<Pending> files = new ArrayList<>();
        for (NewObject o : objects) {
            if (!(o instanceof Pending p) || p.store() != this) {
                ObjectStore.super.commit(objects);
                return;
            }
            files.add(p);
        }
        for (Pending p : files) {
            p.out.finish();
        }
        for (Pending p : files) {
            p.out.force();
        }
        List<Path> renamed = new ArrayList<>();
        IOException failed = null;
        try {
            for (Pending p : files) {
                p.publish();
                renamed.add(p.dir);
            }
        } catch (IOException e) {
            failed = e; // those renamed are whole under their names: their directories are synced all the same
        }
        try {
            directories.sync(renamed);
        } catch (IOException e) {
            if (failed == null) {
                failed = e;
            } else {
                failed.addSuppressed(e);
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    @Override
    public int commitGroup() {
        return COMMIT_GROUP;
    }

    /** A temporary file, renamed to its name when committed. */
    private final class Pending implements NewObject {
        private final Path file;
        private final Path dir;
        private final Path tmp;
        private final DirectAppender out;
        private boolean committed;

        Pending(Path file, Path dir, Path tmp, DirectAppender out) {
            this.file = file;
            this.dir = dir;
            this.tmp = tmp;
            this.out = out;
        }

        FileObjectStore store() {
            return FileObjectStore.this;
        }

        @Override
        public void write(byte[] data, int offset, int length) throws IOException {
            out.write(data, offset, length);
        }

        @Override
        public long size() {
            return out.size();
        }

        @Override
        public void commit() throws IOException {
            out.sync();
            publish();
            directories.sync(List.of(dir));
        }

        /** Its synced content under its name (the directory not yet synced). */
        void publish() throws IOException {
            out.close();
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                try {
                    out.close();
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
        }
    }

    @Override
    public OptionalLong size(String name) throws IOException {
        try {
            return OptionalLong.of(Files.size(file(name)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public Optional<Instant> modified(String name) throws IOException {
        try {
            return Optional.of(Files.getLastModifiedTime(file(name)).toInstant());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean exists(String name) {
        return Files.isRegularFile(file(name));
    }

    /** Removes the object, and the directories it leaves empty. */
    @Override
    public void delete(String name) throws IOException {
        Path file = file(name);
        Files.deleteIfExists(file);
        for (Path dir = file.getParent(); !dir.equals(root); dir = dir.getParent()) {
            try {
                Files.deleteIfExists(dir);
            } catch (DirectoryNotEmptyException e) {
                return;
            }
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> names = new ArrayList<>();
        forEach(prefix, names::add);
        return names;
    }

    /**
     * Walks past a directory removed meanwhile (a collection removes the directories it empties)
     * and goes on: a listing that stopped there would be taken for one without the objects after it.
     */
    @Override
    public void forEach(String prefix, Consumer<String> action) throws IOException {
        int slash = prefix.lastIndexOf('/');
        Path base = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(base)) {
            return;
        }
        Files.walkFileTree(base, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !p.getFileName().toString().startsWith(TEMPORARY)) {
                    String name = root.relativize(p).toString().replace(File.separatorChar, '/');
                    if (name.startsWith(prefix)) {
                        action.accept(name);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Removes temporary files that a crashed put left, older than the given age in milliseconds. */
    @Override
    public int removeTemporaries(long olderThanMillis) throws IOException {
        long cutoff = System.currentTimeMillis() - olderThanMillis;
        int removed = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().startsWith(TEMPORARY) && Files.isRegularFile(p)
                        && Files.getLastModifiedTime(p).toMillis() < cutoff && Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        return removed;
    }

    @Override
    public String describe() {
        return root.toUri().toString();
    }

    private Path file(String name) {
        if (!NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("not an object name: " + name);
        }
        return root.resolve(name);
    }
}
