package org.virtbackup.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PathsTest {

    @TempDir
    Path tmp;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void directoriesWeMakeAre0700AndOnesThatExistKeepTheirMode() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        Paths.privateDirectory(shared.resolve("a/b"));
        assertEquals("rwxr-xr-x", mode(shared));
        assertEquals("rwx------", mode(shared.resolve("a")));
        assertEquals("rwx------", mode(shared.resolve("a/b")));
    }

    /** Where an extraction may write as root: nobody else can put a link in the way (FileRestore). */
    @Test
    void aDirectoryOthersCanChangeIsNamedWithWhy() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("out/inner"));
        Files.setPosixFilePermissions(tmp.resolve("out"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(Optional.empty(), Paths.changeableByOthers(dir.toRealPath()));

        Files.setPosixFilePermissions(tmp.resolve("out"), PosixFilePermissions.fromString("rwxrwxrwx"));
        String why = Paths.changeableByOthers(dir.toRealPath()).orElseThrow();
        assertTrue(why.contains(tmp.resolve("out").toRealPath() + " is writable by others (mode 777"), why);

        assertEquals(0, new ProcessBuilder("chmod", "1777", tmp.resolve("out").toString()).start().waitFor());
        assertEquals(Optional.empty(), Paths.changeableByOthers(dir.toRealPath()), "sticky: nobody renames ours");

        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertTrue(Paths.changeableByOthers(dir.toRealPath()).orElseThrow().contains("writable by its group"));

        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setAttribute(dir, "unix:uid", 65534); // the tests run as root, as the service does
        assertTrue(Paths.changeableByOthers(dir.toRealPath()).orElseThrow().contains("belongs to user 65534"));
    }

    @Test
    void directoriesForRestoredDisksArePassableNotListable() throws Exception {
        Paths.passableDirectory(tmp.resolve("images/vm"));
        assertEquals("rwx--x--x", mode(tmp.resolve("images")));
        assertEquals("rwx--x--x", mode(tmp.resolve("images/vm")));
    }

    @Test
    void aPrivateFileIs0600FromTheStartAndReplacesOne() throws Exception {
        Path f = Files.writeString(tmp.resolve("image"), "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        Paths.privateFile(f);
        assertEquals("rw-------", mode(f));
        assertEquals(0, Files.size(f));
    }

    @Test
    void aSymlinkInsideARootDoesNotLeadOutOfIt() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("root"));
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("out"), outside);
        Files.createSymbolicLink(root.resolve("in"), Files.createDirectory(root.resolve("real")));
        assertEquals(Optional.empty(), Paths.realInside(root.resolve("out/x.qcow2"), List.of(root)));
        assertEquals(Optional.of(root.toRealPath().resolve("real/new/x.qcow2")),
                Paths.realInside(root.resolve("in/new/x.qcow2"), List.of(root)), "a link that stays inside is followed");
        assertEquals(Optional.empty(), Paths.realInside(tmp.resolve("root/../outside/y"), List.of(root)));
        Path linkedRoot = Files.createSymbolicLink(tmp.resolve("root-link"), root);
        assertTrue(Paths.realInside(root.resolve("z"), List.of(linkedRoot)).isPresent(), "a root may itself be a link");
    }
}
