package org.virtbackup.impl.xml;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The {@code <target>} of setDefaultTarget: {@code <target type='dir'><path>/srv/b</path></target>},
 * {@code <target type='pool'><pool>NAME</pool></target>}, or {@code <target type='KIND'/>} for a
 * StorageTarget service of that kind registered by another bundle. Parsed without DTDs or entities.
 *
 * @param kind {@code dir}, {@code pool}, or a StorageTarget service's kind
 * @param value the directory, the pool's name, or empty for a service
 */
public record TargetXml(String kind, String value) {

    public static final String DIR = "dir";
    public static final String POOL = "pool";
    private static final java.util.regex.Pattern KIND = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** A target kept by a StorageTarget service rather than by a directory or pool we manage. */
    public boolean isService() {
        return !kind.equals(DIR) && !kind.equals(POOL);
    }

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
        if (!KIND.matcher(kind).matches()) {
            throw invalid("target XML: type must be 'dir', 'pool' or the kind of a StorageTarget service (letters, "
                    + "digits, '.', '_', '-'), not '" + kind + "'");
        }
        String child = switch (kind) {
            case DIR -> "path";
            case POOL -> "pool";
            default -> null;
        };
        String value = null;
        for (Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                if (child == null) {
                    throw invalid("target XML: a target of kind '" + kind + "' (a StorageTarget service) takes no <"
                            + e.getTagName() + ">: it is <target type='" + kind + "'/>");
                }
                if (!e.getTagName().equals(child) || value != null) {
                    throw invalid("target XML: a " + kind + " target has one <" + child + "> and nothing else, not <"
                            + e.getTagName() + ">");
                }
                value = e.getTextContent().strip();
            }
        }
        if (child == null) {
            return new TargetXml(kind, "");
        }
        if (value == null || value.isEmpty()) {
            throw invalid("target XML: <" + child + "> is missing or empty");
        }
        return new TargetXml(kind, value);
    }

    public String toXml() {
        if (isService()) {
            return "<target type='" + kind + "'/>";
        }
        String child = kind.equals(DIR) ? "path" : "pool";
        return "<target type='" + kind + "'><" + child + ">" + SafeXml.escape(value) + "</"
                + child + "></target>";
    }

    private static BackupException invalid(String message) {
        return new BackupException(ErrorCode.INVALID_XML, message);
    }
}
