package org.virtbackup.impl.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlays we write are ones QEMU's own tools accept, read through and write into. */
class Qcow2OverlayTest {

    @TempDir
    Path dir;

    @Test
    void overlayReadsAsItsBackingFileAndPassesQemuImgCheck() throws Exception {
        long size = 5L * 1024 * 1024 * 1024 + 512; // not a multiple of an L2 table's 512 MiB
        Path base = dir.resolve("base.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), Long.toString(size));
        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 1M 3M", "-c", "write -P 0x33 4G 64k", base.toString());
        Path overlay = dir.resolve("sub/overlay.qcow2");
        Files.createDirectories(overlay.getParent());

        Qcow2Overlay.write(overlay, "../base.qcow2", Qcow2Overlay.virtualSize(base), PosixFilePermissions.fromString("rw-------"));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(overlay)));
        String info = run("qemu-img", "info", "--output=json", overlay.toString());
        assertTrue(info.contains("\"backing-filename\": \"../base.qcow2\""), info);
        assertTrue(info.contains("\"backing-filename-format\": \"qcow2\""), info);
        assertTrue(info.contains("\"virtual-size\": " + size), info);
        run("qemu-img", "check", "-q", overlay.toString());
        assertTrue(run("qemu-img", "compare", "-q", base.toString(), overlay.toString()).isEmpty());
        String map = run("qemu-img", "map", "--output=json", overlay.toString());
        assertTrue(!map.contains("\"depth\": 0, \"present\": true"), "an empty overlay owns no data: " + map);

        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x77 2M 64k", "-c", "write -P 0x11 5G 512", overlay.toString());
        run("qemu-img", "check", "-q", overlay.toString());
        run("qemu-io", "-f", "qcow2", "-c", "read -P 0x5a 1M 1M", "-c", "read -P 0x77 2M 64k", "-c", "read -P 0x5a 2162688 1M",
                "-c", "read -P 0x33 4G 64k", "-c", "read -P 0x11 5G 512", overlay.toString());
    }

    @Test
    void refusesAnExistingFileAndABadBackingName() throws Exception {
        Path overlay = Files.writeString(dir.resolve("taken.qcow2"), "keep me");
        assertThrows(FileAlreadyExistsException.class,
                () -> Qcow2Overlay.write(overlay, "base.qcow2", 1 << 20, PosixFilePermissions.fromString("rw-------")));
        assertEquals("keep me", Files.readString(overlay));
        assertThrows(IllegalArgumentException.class,
                () -> Qcow2Overlay.write(dir.resolve("x.qcow2"), "", 1 << 20, PosixFilePermissions.fromString("rw-------")));
        assertThrows(IOException.class, () -> Qcow2Overlay.virtualSize(overlay));
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }
}
