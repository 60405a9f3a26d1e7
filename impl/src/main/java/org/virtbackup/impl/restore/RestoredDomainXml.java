package org.virtbackup.impl.restore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The definition of a domain restored from a backup: the domain XML kept with the backup, with a
 * new name, no UUID and no MAC addresses (libvirt makes new ones), and its disks pointing at the
 * restored images. Disks that were not restored are left out, so the new domain never shares an
 * image with the old one.
 */
final class RestoredDomainXml {

    private RestoredDomainXml() {
    }

    /**
     * @param images restored disk name to image path and format ({@code [path, format]})
     */
    static String of(String domainXml, String name, Map<String, String[]> images) {
        Document doc;
        try {
            doc = SafeXml.parse(domainXml);
        } catch (SAXException e) {
            throw new BackupException(ErrorCode.INVALID_STATE, "the domain XML kept with the backup is unreadable: "
                    + SafeXml.describe(e));
        }
        Element root = doc.getDocumentElement();
        root.removeAttribute("id");
        for (Element e : children(root, "name")) {
            e.setTextContent(name);
        }
        children(root, "uuid").forEach(root::removeChild);
        removeAll(root, "mac");
        Element devices = children(root, "devices").stream().findFirst().orElseThrow(
                () -> new BackupException(ErrorCode.INVALID_STATE, "the domain XML kept with the backup has no <devices>"));
        for (Element disk : children(devices, "disk")) {
            Element target = children(disk, "target").stream().findFirst().orElse(null);
            String dev = target == null ? null : target.getAttribute("dev");
            String[] image = dev == null ? null : images.get(dev);
            if (!"disk".equals(disk.getAttribute("device")) && !disk.getAttribute("device").isEmpty()) {
                continue; // CD-ROMs and the like: media, not restored data
            }
            if (image == null) {
                devices.removeChild(disk);
                continue;
            }
            disk.setAttribute("type", "file");
            children(disk, "source").forEach(disk::removeChild);
            children(disk, "backingStore").forEach(disk::removeChild);
            Element source = doc.createElement("source");
            source.setAttribute("file", image[0]);
            disk.insertBefore(source, target);
            for (Element driver : children(disk, "driver")) {
                driver.setAttribute("type", image[1]);
            }
        }
        return SafeXml.toString(doc);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                found.add(e);
            }
        }
        return found;
    }

    private static void removeAll(Element root, String name) {
        NodeList nodes = root.getElementsByTagName(name);
        List<Node> doomed = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            doomed.add(nodes.item(i));
        }
        doomed.forEach(n -> n.getParentNode().removeChild(n));
    }
}
