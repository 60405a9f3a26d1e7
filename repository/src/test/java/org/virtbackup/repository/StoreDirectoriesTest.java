package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreDirectoriesTest {

    @TempDir
    Path tmp;

    @Test
    void makesMissingDirectoriesOwnerOnly() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("store"));
        StoreDirectories dirs = new StoreDirectories(root, StoreDirectories.FSYNC);
        Path made = dirs.make(root.resolve("packs/ab"));
        assertEquals(made, dirs.make(root.resolve("packs/ab")), "a second make finds it");
        for (Path d : List.of(root.resolve("packs"), made)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)), d.toString());
        }
    }

    @Test
    void aSyncReachesEveryParentUpToTheRootOnly() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("store"));
        Set<Path> synced = ConcurrentHashMap.newKeySet();
        StoreDirectories dirs = new StoreDirectories(root, synced::add);
        Path ab = dirs.make(root.resolve("packs/ab"));
        Path cd = dirs.make(root.resolve("packs/cd"));
        Path m = dirs.make(root.resolve("manifests"));
        dirs.sync(List.of(ab, cd, m));
        // a directory made is named in its parent, which make() did not sync
        assertEquals(Set.of(ab, cd, root.resolve("packs"), m, root), synced);
    }

    @Test
    void aDirectoryRemovedSinceHoldsNothingToSyncButOtherFailuresAreThrown() throws IOException {
        Path root = Files.createDirectory(tmp.resolve("store"));
        Path gone = new StoreDirectories(root, StoreDirectories.FSYNC).make(root.resolve("packs/ab"));
        Files.delete(gone);
        new StoreDirectories(root, StoreDirectories.FSYNC).sync(List.of(gone));
        StoreDirectories failing = new StoreDirectories(root, d -> {
            throw new IOException("device gone: " + d);
        });
        String message = assertThrows(IOException.class, () -> failing.sync(List.of(gone))).getMessage();
        assertTrue(message.startsWith("device gone: " + root), message);
    }
}
