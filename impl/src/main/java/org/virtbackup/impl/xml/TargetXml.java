package org.virtbackup.impl.xml;

import java.util.regex.Pattern;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.ErrorCode;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The {@code <target>} of setDefaultTarget and its {@link BackupTarget}:
 * {@code <target type='dir'><path>/srv/b</path></target>},
 * {@code <target type='pool'><pool>NAME</pool></target>},
 * {@code <target type='repository'><url>file:///DIR</url></target>}, or {@code <target type='KIND'/>} for a
 * StorageTarget service of that kind registered by another bundle. Parsed without DTDs or entities.
 */
public final class TargetXml {

    private static final Pattern KIND = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private TargetXml() {
    }

    public static BackupTarget parse(String xml) {
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
            throw invalid("target XML: type must be 'dir', 'pool', 'repository' or the kind of a StorageTarget service (letters, "
                    + "digits, '.', '_', '-'), not '" + kind + "'");
        }
        String child = child(kind);
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
        if (child != null && (value == null || value.isEmpty())) {
            throw invalid("target XML: <" + child + "> is missing or empty");
        }
        return new BackupTarget(kind, child == null ? "" : value);
    }

    public static String write(BackupTarget target) {
        String child = child(target.type());
        if (child == null) {
            return "<target type='" + SafeXml.escape(target.type()) + "'/>";
        }
        return "<target type='" + target.type() + "'><" + child + ">" + SafeXml.escape(target.value()) + "</"
                + child + "></target>";
    }

    /** The element holding a target's value, {@code null} for the types that have none. */
    private static String child(String type) {
        return switch (type) {
            case BackupTarget.DIRECTORY -> "path";
            case BackupTarget.POOL -> "pool";
            case BackupTarget.REPOSITORY -> "url";
            default -> null;
        };
    }

    private static BackupException invalid(String message) {
        return new BackupException(ErrorCode.INVALID_XML, message);
    }
}
