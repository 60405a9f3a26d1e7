package org.virtbackup.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * An OS-less libvirt domain on one qcow2 disk (the domain of scripts/lib-guest.sh: 256 MiB,
 * 1 vCPU, no network, virtio disk {@code vda}, kvm when usable). The guest runs no OS, so it
 * never writes to its disk: a copy of the image taken while it runs is consistent.
 */
public final class TestGuest {

    private final String uri;
    private final String name;
    private final Path disk;

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

    public String state() {
        return virsh("domstate", name).output().strip();
    }

    private Cmd.Outcome virsh(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("virsh", "-q", "-c", uri));
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
                """.formatted(type, escape(name), escape(disk.toString()));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("'", "&apos;").replace("\"", "&quot;");
    }
}
