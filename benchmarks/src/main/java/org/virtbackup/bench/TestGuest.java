package org.virtbackup.bench;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.virtbackup.impl.xml.SafeXml;

/**
 * An OS-less libvirt domain on one qcow2 disk (the domain of scripts/lib-guest.sh: 256 MiB,
 * 1 vCPU, no network, virtio disk {@code vda}, kvm when usable). The guest runs no OS, so it
 * never writes to its disk by itself (only {@link #write} does): a copy of the image taken while
 * it runs is consistent.
 */
public final class TestGuest {

    /** Where libvirt keeps each QEMU domain's log (its stdout, where HMP qemu-io reports). */
    private static final Path LOG_DIR = Path.of("/var/log/libvirt/qemu");

    private final String uri;
    private final String name;
    private final Path disk;
    /** QOM path of vda's virtio backend while it runs, found on the first {@link #write}. */
    private String qdev;

    private TestGuest(String uri, String name, Path disk) {
        this.uri = uri;
        this.name = name;
        this.disk = disk;
    }

    /** A new unique name, {@code <prefix>-<8 hex digits>}. */
    public static String uniqueName(String prefix) {
        byte[] b = new byte[4];
        new SecureRandom().nextBytes(b);
        return prefix + "-" + HexFormat.of().formatHex(b);
    }

    /**
     * Defines and starts the domain on an existing qcow2 image; registers its removal
     * (destroy + undefine, the image is left to its owner) with {@code cleanup} before
     * anything is created.
     */
    public static TestGuest start(String uri, String name, Path disk, Cleanup cleanup) throws IOException {
        TestGuest g = new TestGuest(uri, name, disk);
        cleanup.add("removing domain " + name, g::remove);
        Path xml = Files.createTempFile(disk.getParent(), name, ".xml");
        try {
            Files.writeString(xml, g.domainXml(Host.virtType()));
            g.virsh("define", xml.toString()).requireSuccess();
        } finally {
            Files.deleteIfExists(xml);
        }
        Cmd.Outcome started = g.virsh("start", name);
        if (started.exitCode() != 0) {
            throw new IllegalStateException("virsh start " + name + " failed (see /var/log/libvirt/qemu/" + name
                    + ".log): " + started.output().strip());
        }
        return g;
    }

    /**
     * A domain that exists already (made by someone else, e.g. a restore) on {@code disk}, so
     * that it can be shut off and removed like one of ours ({@link #remove()}).
     */
    public static TestGuest existing(String uri, String name, Path disk) {
        return new TestGuest(uri, name, disk);
    }

    public String name() {
        return name;
    }

    public Path disk() {
        return disk;
    }

    /** Pulls the plug (virsh destroy); the disk is then free for offline tools. */
    public void destroy() {
        if ("running".equals(state()) || "paused".equals(state())) {
            virsh("destroy", name).requireSuccess();
        }
        qdev = null;
    }

    /** Destroys and undefines it with its checkpoint/snapshot metadata; gone already is fine. */
    public void remove() {
        if (virsh("dominfo", name).exitCode() != 0) {
            return;
        }
        if (!"shut off".equals(state())) {
            Cmd.Outcome o = virsh("destroy", name);
            if (o.exitCode() != 0 && "running".equals(state())) {
                throw new IllegalStateException("virsh destroy " + name + ": " + o.output().strip());
            }
        }
        if (virsh("dominfo", name).exitCode() == 0) {
            virsh("undefine", "--checkpoints-metadata", "--snapshots-metadata", "--managed-save", name).requireSuccess();
        }
    }

    /**
     * Writes {@code length} bytes of {@code pattern} at {@code offset} into the running guest's
     * disk vda through QEMU's block layer (HMP {@code qemu-io} on the disk's virtio backend), the
     * path a guest's own writes take, so dirty bitmaps and backup jobs see it; as
     * {@code guest_write} in scripts/lib-guest.sh. HMP qemu-io answers nothing on the monitor (only
     * errors such as an unknown device): its result line goes to QEMU's stdout, i.e. the domain
     * log, which is therefore read until it says {@code wrote N/N bytes at offset O} (10 s at most).
     */
    public void write(int pattern, long offset, long length) throws IOException, InterruptedException {
        io(String.format(Locale.ROOT, "write -P 0x%02x %d %d", pattern & 0xff, offset, length), offset, length);
    }

    /**
     * Writes the first {@code length} bytes of a file (readable by QEMU's user) at {@code offset},
     * as {@link #write}: random data that neither compresses nor deduplicates.
     */
    public void writeFile(Path source, long offset, long length) throws IOException, InterruptedException {
        io(String.format(Locale.ROOT, "write -s %s %d %d", source, offset, length), offset, length);
    }

    private void io(String command, long offset, long length) throws IOException, InterruptedException {
        if (qdev == null) {
            qdev = qdev("vda");
        }
        Path log = LOG_DIR.resolve(name + ".log");
        long before = Files.size(log);
        String hmp = String.format(Locale.ROOT, "qemu-io -d %s \"%s\"", qdev, command);
        String reply = virsh("qemu-monitor-command", name, "--hmp", hmp).requireSuccess().output();
        if (!reply.isBlank()) {
            throw new IllegalStateException("writing into " + name + " (" + hmp + ") failed: " + reply.strip());
        }
        String expected = "wrote " + length + "/" + length + " bytes at offset " + offset;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            long size = Files.size(log);
            if (size < before) {
                before = 0; // rotated by virtlogd
            }
            String added;
            try (FileChannel ch = FileChannel.open(log)) {
                ch.position(before);
                added = new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
            }
            if (added.lines().anyMatch(expected::equals)) {
                return;
            }
            Optional<String> error = added.lines()
                    .filter(l -> l.startsWith("write failed") || l.startsWith("qemu-io: ") || l.startsWith("Error"))
                    .findFirst();
            if (error.isPresent()) {
                throw new IllegalStateException("writing into " + name + " (" + hmp + ") failed: " + error.get());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no '" + expected + "' in " + log + " within 10 s: the write into "
                        + name + " is unconfirmed");
            }
            Thread.sleep(10);
        }
    }

    /** QOM path of the virtio backend of disk {@code target}, from the alias in the live XML. */
    private String qdev(String target) {
        String xml = virsh("dumpxml", name).requireSuccess().output();
        Matcher disk = Pattern.compile("(?s)<disk\\b.*?</disk>").matcher(xml);
        while (disk.find()) {
            String d = disk.group();
            if (d.matches("(?s).*<target dev=['\"]" + Pattern.quote(target) + "['\"].*")) {
                Matcher alias = Pattern.compile("<alias name=['\"]([^'\"]+)['\"]").matcher(d);
                if (alias.find()) {
                    return "/machine/peripheral/" + alias.group(1) + "/virtio-backend";
                }
            }
        }
        throw new IllegalStateException("no disk " + target + " with an alias in the live XML of " + name);
    }

    public String state() {
        return virsh("domstate", name).output().strip();
    }

    private Cmd.Outcome virsh(String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", uri));
        cmd.addAll(List.of(args));
        return Cmd.exec(cmd);
    }

    private String domainXml(String type) {
        return """
                <domain type='%s'>
                  <name>%s</name>
                  <memory unit='MiB'>256</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64'>hvm</type>
                    <boot dev='hd'/>
                  </os>
                  <on_poweroff>destroy</on_poweroff>
                  <on_reboot>restart</on_reboot>
                  <on_crash>destroy</on_crash>
                  <devices>
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2'/>
                      <source file='%s'/>
                      <target dev='vda' bus='virtio'/>
                    </disk>
                    <controller type='usb' model='none'/>
                    <memballoon model='none'/>
                  </devices>
                </domain>
                """.formatted(type, SafeXml.escape(name), SafeXml.escape(disk.toString()));
    }
}
