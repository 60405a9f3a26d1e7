package org.virtbackup.impl.xml;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The {@code <target>} of setDefaultTarget: {@code <target type='dir'><path>/srv/b</path></target>}
 * or {@code <target type='pool'><pool>NAME</pool></target>}. Parsed without DTDs or entities.
 *
 * @param kind {@code dir} or {@code pool}
 * @param value the directory or the pool's name
 */
public record TargetXml(String kind, String value) {

    public static TargetXml parse(String xml) {
        Element root;
        try {
            root = SafeXml.parse(xml).getDocumentElement();
        } catch (SAXException e) {
            throw invalid("invalid target XML, " + SafeXml.describe(e));
        }
        if (!"target".equals(root.getTagName())) {
            throw invalid("target XML: the root element must be <target>, not <" + root.getTagName() + ">");
        }
        String kind = root.getAttribute("type");
        String child = switch (kind) {
            case "dir" -> "path";
            case "pool" -> "pool";
            default -> throw invalid("target XML: type must be 'dir' or 'pool', not '" + kind + "'");
        };
        String value = null;
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                if (!e.getTagName().equals(child) || value != null) {
                    throw invalid("target XML: a " + kind + " target has one <" + child + "> and nothing else, not <"
                            + e.getTagName() + ">");
                }
                value = e.getTextContent().strip();
            }
        }
        if (value == null || value.isEmpty()) {
            throw invalid("target XML: <" + child + "> is missing or empty");
        }
        return new TargetXml(kind, value);
    }

    public String toXml() {
        String child = kind.equals("dir") ? "path" : "pool";
        return "<target type='" + kind + "'><" + child + ">" + SafeXml.escape(value) + "</"
                + child + "></target>";
    }

    private static BackupException invalid(String message) {
        return new BackupException(ErrorCode.INVALID_XML, message);
    }
}
