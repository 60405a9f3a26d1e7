package org.virtbackup.impl.libvirt;

import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.xml.SafeXml;

/**
 * The libvirt checkpoint each managed backup creates: a persistent dirty bitmap per disk, named
 * after the backup, recording every write from the backup's moment on. An incremental backup is
 * "everything written since the parent's checkpoint".
 */
public final class Checkpoints {

    private static final String PREFIX = "vb-";
    /** {@code VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY}. */
    private static final int DELETE_METADATA_ONLY = 2;
    /** {@code VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE}. */
    private static final int CREATE_REDEFINE = 1;

    private Checkpoints() {
    }

    public static String nameFor(UUID backup) {
        return PREFIX + backup;
    }

    /** The checkpoint XML: a bitmap on each chosen disk, none on the others. */
    public static String xml(String name, List<DomainDisk> all, Set<String> chosen) {
        StringBuilder xml = new StringBuilder("<domaincheckpoint><name>").append(SafeXml.escape(name)).append("</name><disks>");
        for (DomainDisk d : all) {
            xml.append("<disk name='").append(SafeXml.escape(d.name())).append("' checkpoint='")
                    .append(chosen.contains(d.name()) ? "bitmap" : "no").append("'/>");
        }
        return xml.append("</disks></domaincheckpoint>").toString();
    }

    public static boolean exists(Domain domain, String name) {
        try {
            return java.util.Arrays.asList(domain.checkpointListNames()).contains(name);
        } catch (LibvirtException e) {
            throw Libvirt.failure("listing the checkpoints", e);
        }
    }

    /**
     * Deletes a checkpoint. On a running domain libvirt removes its bitmaps and re-parents its
     * children (every bitmap records on its own, so the others stay correct). On a shut-off one
     * libvirt only forgets the metadata, and the bitmaps are removed from the images here.
     * A checkpoint that is gone already is fine.
     */
    public static void delete(Domain domain, String name, QemuImg qemuImg) {
        try {
            boolean running = domain.isActive() == 1;
            if (exists(domain, name)) {
                domain.checkpointLookupByName(name).delete(running ? 0 : DELETE_METADATA_ONLY);
            }
            if (!running) {
                for (DomainDisk d : DomainXml.disks(domain.getXMLDesc(0))) {
                    if (d.source() != null && "qcow2".equals(d.format())) {
                        qemuImg.removeBitmap(d.source(), name);
                    }
                }
            }
        } catch (LibvirtException e) {
            throw Libvirt.failure("deleting checkpoint " + name, e);
        }
    }

    /**
     * Tells libvirt about a checkpoint whose bitmaps were made without it (a shut-off domain:
     * libvirt creates checkpoints of running domains only).
     */
    public static void redefine(Domain domain, String name, List<DomainDisk> all, Set<String> chosen) {
        StringBuilder xml = new StringBuilder("<domaincheckpoint><name>").append(SafeXml.escape(name)).append("</name><creationTime>")
                .append(System.currentTimeMillis() / 1000).append("</creationTime><disks>");
        for (DomainDisk d : all) {
            xml.append("<disk name='").append(SafeXml.escape(d.name())).append(chosen.contains(d.name())
                    ? "' checkpoint='bitmap' bitmap='" + name + "'/>" : "' checkpoint='no'/>");
        }
        xml.append("</disks></domaincheckpoint>");
        try {
            domain.checkpointCreateXML(xml.toString(), CREATE_REDEFINE);
        } catch (LibvirtException e) {
            throw Libvirt.failure("recording checkpoint " + name + " in libvirt", e);
        }
    }

    /**
     * Why the bitmaps of a checkpoint cannot serve an incremental backup of a running domain, or
     * {@code null} if they can: each must exist and be recording.
     */
    public static String bitmapProblem(Domain domain, String name) {
        String nodes;
        try {
            nodes = domain.qemuMonitorCommand("{\"execute\":\"query-named-block-nodes\",\"arguments\":{\"flat\":true}}", 0);
        } catch (LibvirtException e) {
            throw Libvirt.failure("querying the block nodes", e);
        }
        Matcher m = Pattern.compile("\\{[^{}]*\"name\":\\s*\"" + Pattern.quote(name) + "\"[^{}]*\\}").matcher(nodes);
        boolean found = false;
        while (m.find()) {
            if (!m.group().contains("\"recording\"")) {
                continue; // the qcow2 header's view of the bitmap (image info), not the live one
            }
            found = true;
            if (!m.group().matches("(?s).*\"recording\":\\s*true.*")) {
                return "the dirty bitmap " + name + " is not recording";
            }
        }
        return found ? null : "the dirty bitmap " + name + " is missing from the disk images";
    }
}
