package org.virtbackup.itests.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** A small tmpfs the test mounts (a target that fills up), unmounted when closed. */
public final class Tmpfs implements AutoCloseable {

    private final Path path;

    private Tmpfs(Path path) {
        this.path = path;
    }

    public static Tmpfs mount(Path path, long bytes) throws IOException {
        return mount(path, bytes, "");
    }

    /** One that also runs out of inodes (a file, a directory or a link each; the root takes one): no space, with bytes free. */
    public static Tmpfs mount(Path path, long bytes, int inodes) throws IOException {
        return mount(path, bytes, ",nr_inodes=" + inodes);
    }

    private static Tmpfs mount(Path path, long bytes, String more) throws IOException {
        Files.createDirectories(path);
        Cmd.ok("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0711" + more, "virt-backup-test", path.toString());
        return new Tmpfs(path);
    }

    /** Unmounts what a run cut short left mounted under a directory (deepest first). */
    public static void unmountUnder(Path dir) throws IOException {
        for (String p : Mounts.under(dir).stream().sorted(Comparator.reverseOrder()).toList()) {
            Cmd.ok("umount", p);
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Takes all the free space, as another writer would, in one file; returns it. In pieces,
     * halved when refused: a copy writing meanwhile takes its share, and the file system ends full.
     */
    public Path fill() {
        Path filler = path.resolve("filler");
        long offset = 0;
        for (long piece = 64L << 20; piece >= 64L << 10; ) {
            if (Cmd.run("fallocate", "-o", Long.toString(offset), "-l", Long.toString(piece), filler.toString())
                    .exitCode() == 0) {
                offset += piece;
            } else {
                piece /= 2;
            }
        }
        return filler;
    }

    @Override
    public void close() {
        Cmd.ok("umount", path.toString());
    }
}
