package org.virtbackup.impl.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.impl.qemu.QemuNbd;

import com.sun.jna.Memory;
import com.sun.jna.Native;

/** libnbd through JNA against a real qemu-nbd (installed by scripts/setup-host.sh: qemu-utils, libnbd0). */
class NbdConnectionTest {

    static final long MIB = 1024 * 1024;

    @TempDir
    Path tmp;

    final Libnbd nbd = Native.load("nbd", Libnbd.class);
    final QemuNbd qemuNbd = new QemuNbd("qemu-nbd", Duration.ofSeconds(10));

    @Test
    void readsDataAllocationAndADirtyBitmapOfAnExport() throws Exception {
        Path image = tmp.resolve("disk.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "16M");
        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 1M 64k", "-c", "write -P 0x33 5M 1M", image.toString());
        run("qemu-img", "bitmap", "--add", image.toString(), "since");
        run("qemu-io", "-f", "qcow2", "-c", "write -P 0x77 9M 128k", image.toString());
        String dirty = "qemu:dirty-bitmap:since";
        try (QemuNbd.Server server = qemuNbd.serve(image, "qcow2", tmp.resolve("s.sock"), false, "since", 2);
                NbdConnection c = NbdConnection.open(nbd, server.socket(), QemuNbd.EXPORT, List.of(Libnbd.ALLOCATION, dirty));
                NbdConnection second = NbdConnection.open(nbd, server.socket(), QemuNbd.EXPORT, List.of())) {
            assertEquals(16 * MIB, c.size());
            assertTrue(c.has(Libnbd.ALLOCATION) && c.has(dirty));
            List<Extent> data = c.extents(Libnbd.ALLOCATION, 0, c.size()).stream()
                    .filter(e -> !e.has(Libnbd.STATE_ZERO)).toList();
            assertEquals(List.of(1 * MIB, 5 * MIB, 9 * MIB), data.stream().map(Extent::offset).toList(), data.toString());
            List<Extent> changed = c.extents(dirty, 0, c.size()).stream().filter(e -> e.has(Libnbd.STATE_DIRTY)).toList();
            assertEquals(1, changed.size(), changed.toString());
            assertTrue(changed.get(0).offset() <= 9 * MIB && changed.get(0).end() >= 9 * MIB + 128 * 1024, changed.toString());
            assertTrue(changed.get(0).end() <= 10 * MIB, changed.toString());
            Memory buf = new Memory(MIB);
            second.read(buf, (int) MIB, 5 * MIB);
            for (byte b : buf.getByteArray(0, (int) MIB)) {
                assertEquals(0x33, b);
            }
            c.read(buf, 4096, 0);
            assertEquals(0, buf.getByte(100));
        }
    }

    /** Longer than one request and not a multiple of it: every 64 KiB piece its own byte, so a misplaced request shows. */
    @Test
    void writesAndReadsBackMoreThanOneRequestInPlace() throws Exception {
        Path image = tmp.resolve("new.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "4M");
        int piece = 64 * 1024;
        int pieces = 18;
        int length = pieces * piece + 512;
        Memory buf = new Memory(length);
        for (int k = 0; k <= pieces; k++) {
            buf.setMemory((long) k * piece, Math.min(piece, length - (long) k * piece), (byte) (k + 1));
        }
        try (QemuNbd.Server server = qemuNbd.serve(image, "qcow2", tmp.resolve("w.sock"), true, null, 1);
                NbdConnection c = NbdConnection.open(nbd, server.socket(), QemuNbd.EXPORT, List.of())) {
            c.write(buf, length, 2 * MIB);
            c.flush();
            Memory back = new Memory(length);
            c.read(back, length, 2 * MIB);
            assertArrayEquals(buf.getByteArray(0, length), back.getByteArray(0, length));
        }
        List<String> check = new ArrayList<>(List.of("qemu-io", "-f", "qcow2", "-c", "read -P 0 0 2M"));
        for (int k = 0; k < pieces; k++) {
            check.addAll(List.of("-c", "read -P " + (k + 1) + " " + (2 * MIB + (long) k * piece) + " " + piece));
        }
        check.addAll(List.of("-c", "read -P " + (pieces + 1) + " " + (2 * MIB + (long) pieces * piece) + " 512",
                "-c", "read -P 0 " + (2 * MIB + length) + " " + (2 * MIB - length), image.toString()));
        run(check.toArray(String[]::new));
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
        assertTrue(!out.contains("Pattern verification failed"), out);
    }
}
