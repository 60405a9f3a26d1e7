package org.virtbackup.impl.libvirt;

import java.util.List;
import java.util.ArrayList;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.xml.SafeXml;

/**
 * The libvirt checkpoint each managed backup creates: a persistent dirty bitmap per disk, named
 * after the backup, recording every write from the backup's moment on. An incremental backup is
 * "everything written since the parent's checkpoint".
 */
public final class Checkpoints {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final String PREFIX = "vb-";

    private final Libvirt libvirt;
    private final QemuImg qemuImg;

    public Checkpoints(Libvirt libvirt, QemuImg qemuImg) {
        this.libvirt = libvirt;
        this.qemuImg = qemuImg;
    }

    public static String nameFor(UUID backup) {
        return PREFIX + backup;
    }

    /** The backup whose checkpoint this is, {@code null} for a name virt-backup did not give. */
    public static UUID backupNamed(String checkpoint) {
        if (!checkpoint.startsWith(PREFIX)) {
            return null;
        }
        try {
            UUID backup = UUID.fromString(checkpoint.substring(PREFIX.length()));
            return nameFor(backup).equals(checkpoint) ? backup : null; // the canonical spelling only
        } catch (IllegalArgumentException e) {
            return null;
        }
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

    public static boolean exists(LibvirtDomain domain, String name) {
        return domain.checkpoints().contains(name);
    }

    /**
     * Removes a backup's checkpoint from libvirt, if the domain and the checkpoint still exist:
     * nothing may be built on a backup that did not complete, and a stale checkpoint of a deleted
     * one would only cost the guest's writes. A failure is logged, not thrown.
     */
    public void drop(Backup backup) {
        if (backup.checkpoint() == null) {
            return;
        }
        try {
            delete(libvirt.domain(backup.domain().uuid().toString()), backup.checkpoint());
        } catch (BackupException e) {
            if (e.code() != ErrorCode.NO_DOMAIN) {
                LOG.warn("Checkpoint {} of backup {} stays in libvirt: {}", backup.checkpoint(), backup.uuid(), e.getMessage());
            }
        }
    }

    /**
     * Deletes a checkpoint. On a running domain libvirt removes its bitmaps and re-parents its
     * children (every bitmap records on its own, so the others stay correct). On a shut-off one
     * libvirt only forgets the metadata, and the bitmaps are removed from the images here.
     * A checkpoint that is gone already is fine.
     */
    public void delete(LibvirtDomain domain, String name) {
        boolean running = domain.isActive();
        if (exists(domain, name)) {
            domain.deleteCheckpoint(name, !running);
        }
        if (!running) {
            for (DomainDisk d : domain.disks()) {
                if (d.source() != null && "qcow2".equals(d.format())) {
                    qemuImg.removeBitmap(d.source(), name);
                }
            }
        }
    }

    /**
     * Tells libvirt about a checkpoint whose bitmaps were made without it (a shut-off domain:
     * libvirt creates checkpoints of running domains only).
     */
    public static void redefine(LibvirtDomain domain, String name, List<DomainDisk> all, Set<String> chosen) {
        StringBuilder xml = new StringBuilder("<domaincheckpoint><name>").append(SafeXml.escape(name)).append("</name><creationTime>")
                .append(System.currentTimeMillis() / 1000).append("</creationTime><disks>");
        for (DomainDisk d : all) {
            xml.append("<disk name='").append(SafeXml.escape(d.name())).append(chosen.contains(d.name())
                    ? "' checkpoint='bitmap' bitmap='" + SafeXml.escape(name) + "'/>" : "' checkpoint='no'/>");
        }
        domain.redefineCheckpoint(name, xml.append("</disks></domaincheckpoint>").toString());
    }

    /**
     * The bytes the guest wrote since a checkpoint, by its live bitmaps on a running domain (the
     * size of an incremental backup on it), summed over the disks that record it.
     */
    public static long dirtyBytes(LibvirtDomain domain, String name) {
        return dirtyBytes(liveBitmaps(domain, name));
    }

    /** {@link #dirtyBytes(LibvirtDomain, String)} of bitmaps read already. */
    public static long dirtyBytes(List<String> bitmaps) {
        Pattern count = Pattern.compile("\"count\":\\s*(\\d+)");
        long bytes = 0;
        for (String bitmap : bitmaps) {
            Matcher c = count.matcher(bitmap);
            if (c.find()) {
                bytes += Long.parseLong(c.group(1));
            }
        }
        return bytes;
    }

    /**
     * Why the bitmaps of a checkpoint cannot serve an incremental backup of a running domain, or
     * {@code null} if they can: each must exist and be recording.
     */
    public static String bitmapProblem(LibvirtDomain domain, String name) {
        return bitmapProblem(liveBitmaps(domain, name), name);
    }

    /** {@link #bitmapProblem(LibvirtDomain, String)} of bitmaps read already. */
    public static String bitmapProblem(List<String> bitmaps, String name) {
        if (bitmaps.isEmpty()) {
            return "the dirty bitmap " + name + " is missing from the disk images";
        }
        return bitmaps.stream().allMatch(b -> b.matches("(?s).*\"recording\":\\s*true.*")) ? null
                : "the dirty bitmap " + name + " is not recording";
    }

    /**
     * The block layer's live entries of a checkpoint's bitmaps (one per disk recording it), as
     * JSON objects; the qcow2 header's view of a bitmap (image info) has no "recording" and is left out.
     */
    public static List<String> liveBitmaps(LibvirtDomain domain, String name) {
        String nodes = domain.qmp("{\"execute\":\"query-named-block-nodes\",\"arguments\":{\"flat\":true}}");
        Matcher m = Pattern.compile("\\{[^{}]*\"name\":\\s*\"" + Pattern.quote(name) + "\"[^{}]*\\}").matcher(nodes);
        List<String> live = new ArrayList<>();
        while (m.find()) {
            if (m.group().contains("\"recording\"")) {
                live.add(m.group());
            }
        }
        return live;
    }
}
