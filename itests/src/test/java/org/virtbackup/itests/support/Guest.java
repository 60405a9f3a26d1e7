package org.virtbackup.itests.support;

import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A real QEMU guest on the local libvirtd, with no operating system: enough to run and have
 * its disks written through QEMU's block layer, which is the path guest writes take.
 * Persistent (so it can be shut off and keep its definition); {@link #close()} removes it all.
 */
public final class Guest implements AutoCloseable {

    public static final String URI = "qemu:///system";

    /** Byte pattern of the data {@link #startWithData} fills a disk with. */
    public static final int DATA_PATTERN = 0x6b;

    private final String name;
    private final List<Path> disks = new ArrayList<>();
    private final Path dir;
    private long dataSize;
    private long dataBytes;

    private Guest(String name, Path dir) {
        this.name = name;
        this.dir = dir;
    }

    /** Fails with the way to fix it when libvirtd cannot be reached: tests never skip. */
    public static void requireLibvirt() {
        Cmd.Result r = Cmd.run("virsh", "-c", URI, "version");
        if (r.exitCode() != 0) {
            throw new AssertionError("libvirtd is not reachable at " + URI + " (" + r.output().strip()
                    + "). Start it with: sudo scripts/setup-host.sh");
        }
    }

    static final String OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    static final String OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    /** Defines and starts a guest with one empty qcow2 disk per size given (vda, vdb, ...). */
    public static Guest start(Path workDir, String prefix, long... diskBytes) throws Exception {
        return define(workDir, prefix, 0, diskBytes);
    }

    /**
     * A guest whose one disk of {@code size} bytes holds {@code dataBytes} of data from its start,
     * written offline before the guest starts: enough to keep a backup job busy for a while.
     */
    public static Guest startWithData(Path workDir, String prefix, long size, long dataBytes) throws Exception {
        Guest g = define(workDir, prefix, dataBytes, size);
        g.dataSize = size;
        g.dataBytes = dataBytes;
        return g;
    }

    /** An offline image with the same content {@link #startWithData} gave disk 0 at start. */
    public Path expectedImage(String file) {
        Path image = Images.create(dir.resolve(file), dataSize);
        Images.write(image, DATA_PATTERN, 0, dataBytes);
        return image;
    }

    /**
     * A guest whose one disk of {@code size} bytes holds, from its start, {@code mib} MiB of
     * distinct data: MiB {@code i} is filled with byte {@code 1 + i % 250}, so up to 250 MiB
     * differ from each other (and compress well). Written offline before the guest starts.
     */
    public static Guest startWithPatterns(Path workDir, String prefix, long size, int mib) throws Exception {
        return define(workDir, prefix, 0, List.of("qcow2"), image -> Images.writePatterns(image, mib), size);
    }

    /** A guest whose one disk of {@code size} bytes is filled offline by {@code fill} before it starts. */
    public static Guest startFilled(Path workDir, String prefix, long size, Consumer<Path> fill)
            throws Exception {
        return define(workDir, prefix, 0, List.of("qcow2"), fill, size);
    }

    /** A guest whose vda is a qcow2 image and vdb a raw one, both empty. */
    public static Guest startQcow2AndRaw(Path workDir, String prefix, long qcow2Bytes, long rawBytes) throws Exception {
        return define(workDir, prefix, 0, List.of("qcow2", "raw"), qcow2Bytes, rawBytes);
    }

    private static Guest define(Path workDir, String prefix, long dataBytes, long... diskBytes) throws Exception {
        return define(workDir, prefix, dataBytes, Collections.nCopies(diskBytes.length, "qcow2"), diskBytes);
    }

    private static Guest define(Path workDir, String prefix, long dataBytes, List<String> formats, long... diskBytes)
            throws Exception {
        return define(workDir, prefix, dataBytes, formats, image -> { }, diskBytes);
    }

    /**
     * A UEFI guest (OVMF, its NVRAM file in the guest's directory, made by libvirt from OVMF's
     * template at the first start) with an emulated TPM 2.0 (swtpm, its state kept by libvirt),
     * and one empty qcow2 disk. From Debian's ovmf and swtpm, which scripts/setup-host.sh installs.
     */
    public static Guest startUefiWithTpm(Path workDir, String prefix, long size) throws Exception {
        for (String f : List.of(OVMF_CODE, OVMF_VARS)) {
            if (!Files.isReadable(Path.of(f))) {
                throw new AssertionError(f + " is missing; install Debian's ovmf and swtpm with: sudo scripts/setup-host.sh");
            }
        }
        return define(workDir, prefix, 0, List.of("qcow2"), image -> { }, true, size);
    }

    private static Guest define(Path workDir, String prefix, long dataBytes, List<String> formats,
            Consumer<Path> fill, long... diskBytes) throws Exception {
        return define(workDir, prefix, dataBytes, formats, fill, false, diskBytes);
    }

    private static Guest define(Path workDir, String prefix, long dataBytes, List<String> formats,
            Consumer<Path> fill, boolean uefiAndTpm, long... diskBytes) throws Exception {
        requireLibvirt();
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createDirectories(workDir.resolve(name));
        Guest g = new Guest(name, dir);
        StringBuilder devices = new StringBuilder();
        for (int i = 0; i < diskBytes.length; i++) {
            String dev = "vd" + (char) ('a' + i);
            String format = formats.get(i);
            Path image = dir.resolve(dev + "." + format);
            Cmd.ok("qemu-img", "create", "-q", "-f", format, image.toString(), Long.toString(diskBytes[i]));
            if (i == 0 && dataBytes > 0) {
                Images.write(image, DATA_PATTERN, 0, dataBytes);
            }
            if (i == 0) {
                fill.accept(image);
            }
            g.disks.add(image);
            devices.append("<disk type='file' device='disk'><driver name='qemu' type='").append(format)
                    .append("' cache='none'/>")
                    .append("<source file='").append(image).append("'/>")
                    .append("<target dev='").append(dev).append("' bus='virtio'/></disk>\n");
        }
        String firmware = "";
        if (uefiAndTpm) {
            firmware = "<loader readonly='yes' type='pflash'>" + OVMF_CODE + "</loader><nvram template='" + OVMF_VARS
                    + "'>" + dir.resolve(name + "_VARS.fd") + "</nvram>";
            devices.append("<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>");
        }
        String xml = "<domain type='" + virtType() + "'><name>" + name + "</name><memory unit='MiB'>128</memory>"
                + "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type>" + firmware + "<boot dev='hd'/></os>"
                + "<features><acpi/></features>"
                + "<on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>"
                + "<devices>" + devices + "</devices></domain>";
        Path file = dir.resolve("domain.xml");
        Files.writeString(file, xml);
        Cmd.ok("virsh", "-c", URI, "define", file.toString());
        g.startIt();
        return g;
    }

    private static String virtType() {
        return Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")) ? "kvm" : "qemu";
    }

    public String name() {
        return name;
    }

    public Path disk(int index) {
        return disks.get(index);
    }

    public Path workDir() {
        return dir;
    }

    /** The names of the guest's checkpoints in libvirt. */
    public List<String> checkpoints() {
        return Cmd.ok("virsh", "-c", URI, "checkpoint-list", name, "--name").lines()
                .map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    public void startIt() {
        Cmd.ok("virsh", "-c", URI, "start", name);
    }

    /** The user the guest's QEMU process runs as. */
    public String qemuUser() throws Exception {
        return qemuUserOf(name);
    }

    /** The user the QEMU process of a running domain runs as. */
    public static String qemuUserOf(String domain) throws Exception {
        long pid = Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu", domain + ".pid")).strip());
        return ProcessHandle.of(pid).flatMap(p -> p.info().user())
                .orElseThrow(() -> new AssertionError("no QEMU process " + pid + " for " + domain));
    }

    /** Pulls the plug if the guest runs. */
    public void shutOffIfRunning() {
        if (Cmd.ok("virsh", "-c", URI, "domstate", name).contains("running")) {
            shutOff();
        }
    }

    /** Pulls the plug: the guest stops at once, its definition stays. */
    public void shutOff() {
        Cmd.ok("virsh", "-c", URI, "destroy", name);
    }

    /**
     * Writes a pattern into disk {@code index} of the running guest through QEMU's block layer
     * (HMP qemu-io), the path guest writes take, so dirty bitmaps and backup jobs see it.
     */
    public void write(int index, int pattern, long offset, long length) throws Exception {
        // HMP qemu-io answers nothing on the monitor; its result line goes to the domain's log.
        Path log = Path.of("/var/log/libvirt/qemu", name + ".log");
        long before = Files.size(log);
        String cmd = String.format("qemu-io -d /machine/peripheral/virtio-disk%d/virtio-backend \"write -P 0x%02x %d %d\"",
                index, pattern, offset, length);
        String out = Cmd.ok("virsh", "-c", URI, "qemu-monitor-command", name, "--hmp", cmd);
        if (!out.isBlank()) {
            throw new AssertionError("writing into " + name + " failed: " + out);
        }
        String expected = "wrote " + length + "/" + length + " bytes at offset " + offset;
        for (int i = 0; i < 100; i++) {
            String tail;
            try (var ch = FileChannel.open(log)) {
                ch.position(before);
                tail = new String(Channels.newInputStream(ch).readAllBytes());
            }
            if (tail.contains(expected)) {
                return;
            }
            if (tail.contains("write failed")) {
                throw new AssertionError("writing into " + name + " failed: " + tail);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + expected + "' in " + log + " after writing into " + name);
    }

    @Override
    public void close() {
        Cmd.run("virsh", "-c", URI, "destroy", name);
        Cmd.run("virsh", "-c", URI, "undefine", name, "--checkpoints-metadata", "--nvram");
        for (Path d : disks) {
            Cmd.run("rm", "-f", d.toString());
        }
        Cmd.run("rm", "-rf", dir.toString());
    }
}
