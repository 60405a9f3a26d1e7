package org.virtbackup.impl.libvirt;

import java.util.OptionalInt;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/** The user QEMU runs as, read from libvirt's capabilities: {@code <secmodel><model>dac</model><baselabel>+UID:+GID}. */
final class QemuUser {

    private QemuUser() {
    }

    /** The uid of libvirt's DAC base label; empty without DAC or when it is root. */
    static OptionalInt uidOf(String capabilitiesXml) {
        Document doc;
        try {
            doc = SafeXml.parse(capabilitiesXml);
        } catch (SAXException e) {
            throw new BackupException(ErrorCode.LIBVIRT_ERROR, "libvirt's capabilities are not XML: " + SafeXml.describe(e));
        }
        NodeList models = doc.getElementsByTagName("secmodel");
        for (int i = 0; i < models.getLength(); i++) {
            Element model = (Element) models.item(i);
            NodeList names = model.getElementsByTagName("model");
            NodeList labels = model.getElementsByTagName("baselabel");
            if (names.getLength() == 0 || !"dac".equals(names.item(0).getTextContent().strip()) || labels.getLength() == 0) {
                continue;
            }
            String label = labels.item(0).getTextContent().strip(); // "+64055:+64055"
            String user = label.split(":", 2)[0].replace("+", "");
            try {
                int uid = Integer.parseInt(user);
                return uid == 0 ? OptionalInt.empty() : OptionalInt.of(uid);
            } catch (NumberFormatException e) {
                throw new BackupException(ErrorCode.LIBVIRT_ERROR, "libvirt's DAC base label '" + label + "' names no uid");
            }
        }
        return OptionalInt.empty();
    }
}
