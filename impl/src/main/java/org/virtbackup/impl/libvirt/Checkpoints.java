package org.virtbackup.impl.libvirt;

import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.libvirt.Domain;
import org.libvirt.DomainCheckpoint;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/**
 * The libvirt checkpoint each managed backup creates: a persistent dirty bitmap per disk, named
 * after the backup, recording every write from the backup's moment on. An incremental backup is
 * "everything written since the parent's checkpoint".
 */
public final class Checkpoints {

    private static final String PREFIX = "vb-";

    private Checkpoints() {
    }

    public static String nameFor(UUID backup) {
        return PREFIX + backup;
    }

    /** The checkpoint XML: a bitmap on each chosen disk, none on the others. */
    public static String xml(String name, List<DomainDisk> all, Set<String> chosen) {
        StringBuilder xml = new StringBuilder("<domaincheckpoint><name>").append(name).append("</name><disks>");
        for (DomainDisk d : all) {
            xml.append("<disk name='").append(d.name()).append("' checkpoint='")
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
     * Deletes a checkpoint; libvirt merges its bitmap into its parent's, so the checkpoints that
     * remain stay correct. A checkpoint that is gone already is fine.
     */
    public static void delete(Domain domain, String name) {
        if (!exists(domain, name)) {
            return;
        }
        try {
            DomainCheckpoint cp = domain.checkpointLookupByName(name);
            cp.delete(0);
        } catch (LibvirtException e) {
            if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN_CHECKPOINT) {
                return;
            }
            throw Libvirt.failure("deleting checkpoint " + name, e);
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
            found = true;
            if (!m.group().matches("(?s).*\"recording\":\\s*true.*")) {
                return "the dirty bitmap " + name + " is not recording";
            }
        }
        return found ? null : "the dirty bitmap " + name + " is missing from the disk images";
    }
}
