package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileObjectStoreTest {

    @TempDir
    Path tmp;

    /**
     * A group commit whose second rename fails: the first object is whole under its name and its
     * directory durable all the same, the third never got its name, and closing the group leaves
     * no temporary behind.
     */
    @Test
    void aGroupWhoseRenameFailsKeepsWhatWasRenamedAndLeavesNothingElse() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("store"));
        Set<Path> synced = ConcurrentHashMap.newKeySet();
        FileObjectStore store = new FileObjectStore(root, synced::add);
        byte[] first = random(1, (3 << 20) + 17);
        List<ObjectStore.NewObject> group = new ArrayList<>();
        group.add(written(store, "packs/aa/first", first));
        group.add(written(store, "packs/bb/second", random(2, 1 << 20)));
        group.add(written(store, "packs/cc/third", random(3, 4096)));
        // the second's name is a directory that is not empty: no rename can replace it
        Files.createDirectories(root.resolve("packs/bb/second/inside"));

        IOException failed = assertThrows(IOException.class, () -> store.commit(group));
        assertTrue(failed.getMessage().contains("packs/bb/second"), "the rename that failed: " + failed);

        assertArrayEquals(first, store.get("packs/aa/first").orElseThrow());
        assertTrue(synced.contains(root.resolve("packs/aa")), "the renamed one's directory is synced: " + synced);
        assertFalse(synced.contains(root.resolve("packs/cc")), "the third was never named: " + synced);
        assertEquals(Optional.empty(), store.get("packs/cc/third"));
        for (ObjectStore.NewObject o : group) {
            o.close();
        }
        try (Stream<Path> files = Files.walk(root)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList(),
                    "temporaries left");
        }
    }

    private static ObjectStore.NewObject written(FileObjectStore store, String name, byte[] data) throws IOException {
        ObjectStore.NewObject o = store.create(name);
        o.write(data, 0, data.length);
        return o;
    }

    private static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }
}
