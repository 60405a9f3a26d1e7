package org.virtbackup.impl.libvirt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.xml.SafeXml;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** Reads what the service needs from a libvirt domain XML. */
public final class DomainXml {

    private DomainXml() {
    }

    /** {@link #disks}, by name (the first of a name, in their order). */
    public static Map<String, DomainDisk> disksByName(String domainXml) {
        Map<String, DomainDisk> byName = new LinkedHashMap<>();
        disks(domainXml).forEach(d -> byName.putIfAbsent(d.name(), d));
        return byName;
    }

    /**
     * The domain's backable disks: {@code device='disk'} with a local file or block source.
     * CD-ROMs, floppies, LUNs and network disks are left out; libvirt cannot back them up either.
     */
    public static List<DomainDisk> disks(String domainXml) {
        Element root;
        try {
            root = SafeXml.parse(domainXml).getDocumentElement();
        } catch (SAXException e) {
            throw new BackupException(ErrorCode.LIBVIRT_ERROR, "unreadable domain XML: " + SafeXml.describe(e));
        }
        List<DomainDisk> disks = new ArrayList<>();
        NodeList nodes = root.getElementsByTagName("disk");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element disk = (Element) nodes.item(i);
            if (!"disk".equals(disk.getAttribute("device")) && !disk.getAttribute("device").isEmpty()) {
                continue;
            }
            String type = disk.getAttribute("type");
            Element target = child(disk, "target");
            Element source = child(disk, "source");
            Element driver = child(disk, "driver");
            if (target == null || source == null || !(type.equals("file") || type.equals("block"))) {
                continue;
            }
            String path = type.equals("file") ? source.getAttribute("file") : source.getAttribute("dev");
            String format = driver == null || driver.getAttribute("type").isEmpty() ? "raw" : driver.getAttribute("type");
            disks.add(new DomainDisk(target.getAttribute("dev"), path.isEmpty() ? null : path, format));
        }
        return disks;
    }

    private static Element child(Element parent, String name) {
        for (var n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
