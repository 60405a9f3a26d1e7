package org.virtbackup.impl.firmware;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.xml.SafeXml;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Where a domain's firmware state lives, as its XML says: the UEFI NVRAM file ({@code <os><nvram>},
 * or libvirt's newer {@code <nvram><source file=…/>}) and the state directory of an emulated TPM
 * ({@code <tpm><backend type='emulator'>}), which libvirt keeps under its swtpm directory by the
 * domain's UUID and the TPM's version.
 *
 * @param nvram the NVRAM file, {@code null} if the domain has none
 * @param tpm the TPM state directory, {@code null} if the domain has no emulated TPM
 */
public record FirmwareState(Path nvram, Path tpm) {

    /** The domain's firmware state; {@code swtpm} is libvirt's swtpm directory ({@code /var/lib/libvirt/swtpm}). */
    public static FirmwareState of(String domainXml, Path swtpm) {
        Element root = parse(domainXml).getDocumentElement();
        return new FirmwareState(nvram(root), tpm(root, swtpm));
    }

    /** A domain XML kept with a backup, parsed safely; {@code INVALID_STATE} if unreadable. */
    static Document parse(String domainXml) {
        try {
            return SafeXml.parse(domainXml);
        } catch (SAXException e) {
            throw new BackupException(ErrorCode.INVALID_STATE, "unreadable domain XML: " + SafeXml.describe(e));
        }
    }

    public boolean isEmpty() {
        return nvram == null && tpm == null;
    }

    private static Path nvram(Element root) {
        Element os = first(root, "os");
        Element nvram = os == null ? null : first(os, "nvram");
        if (nvram == null) {
            return null;
        }
        Element source = first(nvram, "source");
        String file = source != null ? source.getAttribute("file") : nvram.getTextContent().strip();
        if (file.isEmpty()) {
            return null; // libvirt fills the path in when it defines the domain; before, there is nothing to copy
        }
        Path path = Path.of(file);
        if (!path.isAbsolute()) {
            throw new BackupException(ErrorCode.INVALID_STATE, "the domain's <nvram> is no absolute path: " + file);
        }
        return path;
    }

    private static Path tpm(Element root, Path swtpm) {
        Element devices = first(root, "devices");
        Element tpm = devices == null ? null : first(devices, "tpm");
        Element backend = tpm == null ? null : first(tpm, "backend");
        if (backend == null || !"emulator".equals(backend.getAttribute("type"))) {
            return null; // a passthrough TPM's state is the host's chip: nothing of it is the guest's to keep
        }
        Element uuid = first(root, "uuid");
        if (uuid == null) {
            throw new BackupException(ErrorCode.INVALID_STATE, "the domain XML has an emulated TPM but no <uuid>");
        }
        Path dir = swtpm.resolve(UUID.fromString(uuid.getTextContent().strip()).toString());
        String version = backend.getAttribute("version");
        if (version.isEmpty()) { // libvirt chose at definition; the state directory says which
            return Files.isDirectory(dir.resolve("tpm2")) ? dir.resolve("tpm2") : dir.resolve("tpm1.2");
        }
        return dir.resolve(version.equals("2.0") ? "tpm2" : "tpm" + version);
    }

    private static Element first(Element parent, String name) {
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
