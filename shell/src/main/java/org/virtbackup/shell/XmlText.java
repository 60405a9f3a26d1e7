package org.virtbackup.shell;

/** Text a command puts into the XML it hands the service: in elements and in quoted attributes. */
final class XmlText {

    private XmlText() {
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")
                .replace("\"", "&quot;");
    }
}
