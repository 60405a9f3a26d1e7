package org.virtbackup.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Host helpers shared by the benchmarks: images, virt type. */
public final class Host {

    public static final long MIB = 1L << 20;
    public static final long GIB = 1L << 30;

    private static String virtType;

    private Host() {
    }

    /**
     * A qcow2 image of {@code virtualSize} bytes whose first {@code randomBytes} hold data from
     * /dev/urandom (written through a raw file and {@code qemu-img convert}, so those clusters
     * are allocated and the rest is unallocated), then {@code sync}ed so that the host's
     * write-back of it does not run during the measurements. Its pages stay in the page cache.
     */
    public static void randomImage(String qemuImg, Path image, long randomBytes, long virtualSize) throws IOException {
        if (randomBytes % (4 * MIB) != 0) {
            throw new IllegalArgumentException("random data must be a multiple of 4 MiB");
        }
        Path raw = image.resolveSibling(image.getFileName() + ".random.raw");
        try {
            Cmd.run("dd", "if=/dev/urandom", "of=" + raw, "bs=4M", "count=" + randomBytes / (4 * MIB),
                    "iflag=fullblock", "status=none");
            Cmd.run(qemuImg, "convert", "-f", "raw", "-O", "qcow2", raw.toString(), image.toString());
        } finally {
            Files.deleteIfExists(raw);
        }
        Cmd.run(qemuImg, "resize", "-q", "-f", "qcow2", image.toString(), Long.toString(virtualSize));
        Cmd.run("sync");
    }

    /**
     * "kvm" when KVM really works for QEMU here, else "qemu" (the same test as
     * scripts/lib-guest.sh: open /dev/kvm, then start QEMU with -accel kvm for an instant).
     * {@code BENCH_VIRT_TYPE} overrides it.
     */
    public static synchronized String virtType() {
        if (virtType == null) {
            String forced = System.getenv("BENCH_VIRT_TYPE");
            if (forced != null && !forced.isBlank()) {
                virtType = forced.strip();
            } else {
                virtType = "qemu";
                Path kvm = Path.of("/dev/kvm");
                if (Files.exists(kvm)) {
                    try (RandomAccessFile f = new RandomAccessFile(kvm.toFile(), "rw")) {
                        Cmd.Outcome o = Cmd.exec(List.of("qemu-system-x86_64", "-accel", "kvm", "-machine", "none",
                                "-nodefaults", "-display", "none", "-monitor", "stdio"), "quit\n", 30);
                        if (o.exitCode() == 0) {
                            virtType = "kvm";
                        }
                    } catch (IOException | RuntimeException e) {
                        // no usable KVM: plain emulation
                    }
                }
            }
        }
        return virtType;
    }

    /** The backing file named in a qcow2 image's header, as written there (maybe relative to the image). */
    public static String backingFile(String qemuImg, Path image) {
        String json = Cmd.run(qemuImg, "info", "-U", "--output=json", "-f", "qcow2", image.toString());
        Matcher m = Pattern.compile("\"backing-filename\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"")
                .matcher(json);
        if (!m.find()) {
            throw new IllegalStateException(image + " has no backing file: " + json);
        }
        return m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
    }
}
