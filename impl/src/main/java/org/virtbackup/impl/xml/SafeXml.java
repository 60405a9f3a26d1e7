package org.virtbackup.impl.xml;

import java.io.StringReader;
import java.io.StringWriter;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.IOException;

import org.w3c.dom.Document;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;

/**
 * Parsers and serialisers that never read a DTD or resolve an entity: every XML that reaches
 * the service comes from callers or from disk and is treated as hostile.
 */
public final class SafeXml {

    private static final String DISALLOW_DOCTYPE = "http://apache.org/xml/features/disallow-doctype-decl";

    private SafeXml() {
    }

    /** Text safe inside an element or a quoted attribute of XML we build by hand. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("'", "&apos;").replace("\"", "&quot;").replace("<", "&lt;");
    }

    /** A namespace-aware SAX reader that refuses any DOCTYPE. */
    public static XMLReader reader() {
        try {
            SAXParserFactory factory = SAXParserFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature(DISALLOW_DOCTYPE, true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setXIncludeAware(false);
            return factory.newSAXParser().getXMLReader();
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("cannot configure a safe XML parser", e);
        }
    }

    /** Parses XML into a DOM document, refusing any DOCTYPE. */
    public static Document parse(String xml) throws SAXException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature(DISALLOW_DOCTYPE, true);
            factory.setExpandEntityReferences(false);
            factory.setXIncludeAware(false);
            var builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("cannot configure a safe XML parser", e);
        } catch (IOException e) {
            throw new IllegalStateException("reading a string failed", e);
        }
    }

    /** Serialises a node without an XML declaration. */
    public static String toString(Node node) {
        return toString(node, serializer());
    }

    /** A serializer for {@link #toString(Node, Transformer)}: one per thread, reused (making one is a service lookup). */
    public static Transformer serializer() {
        try {
            TransformerFactory factory = TransformerFactory.newInstance();
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            Transformer transformer = factory.newTransformer();
            transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            return transformer;
        } catch (javax.xml.transform.TransformerConfigurationException e) {
            throw new IllegalStateException("cannot serialise XML", e);
        }
    }

    /** {@link #toString(Node)} with a serializer of this thread. */
    public static String toString(Node node, Transformer transformer) {
        try {
            StringWriter out = new StringWriter();
            transformer.transform(new DOMSource(node), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException("cannot serialise XML", e);
        }
    }

    /** Turns a parser's message into one for people: where, and what. */
    public static String describe(SAXException e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        if (message.contains("DOCTYPE")) {
            message = "a DOCTYPE (DTD or entity declarations) is not allowed";
        }
        // Schema messages start with the rule's id ("cvc-complex-type.2.4.a: "): noise to a user.
        message = message.replaceFirst("^cvc-[\\w.-]+: ", "");
        if (e instanceof org.xml.sax.SAXParseException p && p.getLineNumber() > 0) {
            return "line " + p.getLineNumber() + ", column " + p.getColumnNumber() + ": " + message;
        }
        return message;
    }
}
