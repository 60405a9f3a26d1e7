package org.virtbackup.impl.xml;

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.net.URL;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import javax.xml.XMLConstants;
import javax.xml.transform.sax.SAXSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;

import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import jakarta.xml.bind.Unmarshaller;

import org.glassfish.jaxb.runtime.v2.JAXBContextFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.api.JobState;
import org.virtbackup.api.NbdExport;
import org.virtbackup.api.NbdServer;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Reads and writes {@code <domainbackup>} documents: validated against domainbackup.xsd,
 * without DTDs or entities. Thread-safe; create one per component.
 */
public final class BackupXml {

    private final JAXBContext context;
    private final Schema schema;
    /** Per thread, reused: a new parser and serializer per document cost more than its parse. */
    private final ThreadLocal<org.xml.sax.XMLReader> readers = ThreadLocal.withInitial(SafeXml::reader);
    private final ThreadLocal<javax.xml.transform.Transformer> serializers = ThreadLocal.withInitial(SafeXml::serializer);

    public BackupXml() {
        try {
            // In OSGi the JAXB API cannot find its implementation: ask the runtime directly.
            context = new JAXBContextFactory().createContext(new Class<?>[] {DomainBackupElement.class}, Map.of());
            SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            URL xsd = BackupService.class.getResource("domainbackup.xsd");
            if (xsd == null) {
                throw new IllegalStateException("domainbackup.xsd is missing from the API bundle");
            }
            schema = factory.newSchema(xsd);
        } catch (JAXBException | SAXException e) {
            throw new IllegalStateException("cannot set up the domainbackup XML codec", e);
        }
    }

    /** Parses an input document of create ({@link LibvirtDialect.Mode#PUSH}); null or blank is an empty request. */
    public BackupDocument parseRequest(String xml) {
        return parseRequest(xml, LibvirtDialect.Mode.PUSH);
    }

    /**
     * Parses an input document; null or blank is an empty request.
     *
     * @param mode what the caller does, whose opposite in libvirt's {@code mode} is refused first
     */
    public BackupDocument parseRequest(String xml, LibvirtDialect.Mode mode) {
        if (xml == null || xml.isBlank()) {
            return BackupDocument.empty();
        }
        DomainBackupElement e = unmarshal(xml, "backup XML", true);
        mode.check(e);
        return new BackupDocument(uuid(e.uuid), e.description, e.parent == null ? null : uuid(e.parent.uuid),
                LibvirtDialect.incremental(e), LibvirtDialect.disks(e), e.domainName, server(e.server), e.dialectMode,
                e.server == null ? null : e.server.socket);
    }

    /** Reads a descriptor written by {@link #write}. */
    public Descriptor readDescriptor(String xml) {
        return descriptor(unmarshal(xml, "descriptor", true));
    }

    /**
     * Reads a descriptor from a repository's manifest, which the repository checked (its tag, or
     * zstd's checksum) and which {@link #write} wrote: parsed as safely (no DTD, no entities) but
     * not validated against the schema again, which took half of a descriptor's parse (a probe,
     * warm: 0.27 ms against 0.15; a fleet's repository lists thousands at each start). Its fields
     * are checked as any descriptor's.
     */
    public Descriptor readStoredDescriptor(String xml) {
        return descriptor(unmarshal(xml, "descriptor", false));
    }

    private Descriptor descriptor(DomainBackupElement e) {
        if (e.uuid == null || e.domainref == null || e.creationTime == null || e.state == null
                || e.kind == null || e.mode == null || e.domain == null) {
            throw invalid("descriptor lacks one of uuid, domainref, creationTime, state, kind, mode, domain");
        }
        var disks = e.disks().stream().map(d -> new BackupDisk(d.name, d.format == null ? "qcow2" : d.format,
                d.target == null ? "" : d.target.repository != null ? d.target.repository : String.valueOf(d.target.file),
                d.capacity == null ? 0 : d.capacity, d.stored == null ? 0 : d.stored,
                d.export == null ? null : new NbdExport(d.export.uri, d.export.name, d.export.bitmap),
                d.deduplicated == null ? 0 : d.deduplicated)).toList();
        Backup backup = new Backup(uuid(e.uuid), new DomainRef(e.domainref.name, uuid(e.domainref.uuid)),
                e.description, instant(e.creationTime), e.completionTime == null ? null : instant(e.completionTime),
                e.parent == null ? null : uuid(e.parent.uuid), enumOf(BackupKind.class, e.kind),
                enumOf(BackupMode.class, e.mode), enumOf(JobState.class, e.state), e.checkpoint, e.message, disks,
                "yes".equals(e.damaged), e.firmware == null ? List.of() : e.firmware.stream()
                        .map(f -> new FirmwareFile(f.kind, f.name, f.size == null ? 0 : f.size, f.sha256)).toList());
        return new Descriptor(backup, SafeXml.toString(e.domain, serializers.get()));
    }

    /**
     * The dump format of the proposal with the catalogue's extensions.
     *
     * @param domainXml the domain XML to embed, {@code null} to leave it out
     */
    public String write(Backup b, String domainXml) {
        DomainBackupElement e = new DomainBackupElement();
        e.uuid = b.uuid().toString();
        e.creationTime = seconds(b.creationTime());
        e.completionTime = b.completionTime() == null ? null : seconds(b.completionTime());
        e.description = b.description().isEmpty() ? null : b.description();
        if (b.parent() != null) {
            e.parent = new DomainBackupElement.Parent();
            e.parent.uuid = b.parent().toString();
        }
        e.state = lower(b.state());
        e.kind = lower(b.kind());
        e.mode = lower(b.mode());
        e.checkpoint = b.checkpoint();
        e.message = b.message().isEmpty() ? null : b.message();
        e.damaged = b.damaged() ? "yes" : null;
        e.domainref = new DomainBackupElement.DomainRefElement();
        e.domainref.name = b.domain().name();
        e.domainref.uuid = b.domain().uuid().toString();
        e.disks = b.disks().stream().map(d -> {
            var disk = new DomainBackupElement.Disk();
            disk.name = d.name();
            disk.format = d.format();
            disk.capacity = d.capacity();
            disk.stored = d.stored();
            disk.deduplicated = d.inRepository() ? d.deduplicated() : null;
            if (!d.target().isEmpty()) {
                disk.target = new DomainBackupElement.Target();
                if (d.inRepository()) {
                    disk.target.repository = d.target();
                } else {
                    disk.target.file = d.target();
                }
            }
            if (d.export() != null) {
                disk.export = new DomainBackupElement.Export();
                disk.export.uri = d.export().uri();
                disk.export.name = d.export().name();
                disk.export.bitmap = d.export().bitmapContext().isEmpty() ? null : d.export().bitmapContext();
            }
            return disk;
        }).toList();
        if (!b.firmware().isEmpty()) {
            e.firmware = b.firmware().stream().map(f -> {
                var file = new DomainBackupElement.FirmwareFileElement();
                file.kind = f.kind();
                file.name = f.name();
                file.size = f.size();
                file.sha256 = f.sha256();
                return file;
            }).toList();
        }
        if (domainXml != null) {
            try {
                e.domain = SafeXml.parse(domainXml).getDocumentElement();
            } catch (SAXException ex) {
                throw invalid("domain XML: " + SafeXml.describe(ex));
            }
        }
        try {
            Marshaller m = context.createMarshaller();
            m.setProperty(Marshaller.JAXB_FORMATTED_OUTPUT, true);
            m.setProperty(Marshaller.JAXB_FRAGMENT, true);
            StringWriter out = new StringWriter();
            m.marshal(e, out);
            return out.toString();
        } catch (JAXBException ex) {
            throw new IllegalStateException("cannot write backup " + b.uuid(), ex);
        }
    }

    private DomainBackupElement unmarshal(String xml, String what, boolean validate) {
        try {
            Unmarshaller u = context.createUnmarshaller();
            if (validate) {
                u.setSchema(schema);
            }
            Object o = u.unmarshal(new SAXSource(readers.get(), new InputSource(new StringReader(xml))));
            return (DomainBackupElement) o;
        } catch (jakarta.xml.bind.UnmarshalException ex) {
            Throwable cause = ex.getLinkedException() != null ? ex.getLinkedException() : ex.getCause();
            String detail = cause instanceof SAXException s ? SafeXml.describe(s)
                    : ex.getMessage() != null ? ex.getMessage() : String.valueOf(cause);
            throw invalid("invalid " + what + ", " + detail);
        } catch (JAXBException | ClassCastException ex) {
            throw invalid("invalid " + what + ": " + ex);
        }
    }

    private static NbdServer server(DomainBackupElement.Server s) {
        if (s == null) {
            return null;
        }
        boolean tls = "yes".equals(s.tls);
        if ("unix".equals(s.transport)) {
            if (s.name != null || s.port != null || tls) {
                throw invalid("backup XML: <server transport='unix'> takes no name, port or tls");
            }
            return NbdServer.unix();
        }
        return new NbdServer(NbdServer.Transport.TCP, s.name, s.port == null ? 0 : s.port, tls);
    }

    /** Epoch seconds, with milliseconds as a fraction only when there are some. */
    private static BigDecimal seconds(Instant t) {
        BigDecimal s = BigDecimal.valueOf(t.toEpochMilli(), 3).stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }

    private static Instant instant(BigDecimal seconds) {
        return Instant.ofEpochMilli(seconds.movePointRight(3).longValue());
    }

    private static UUID uuid(String s) {
        return s == null ? null : UUID.fromString(s);
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static <E extends Enum<E>> E enumOf(Class<E> type, String value) {
        return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    }

    private static BackupException invalid(String message) {
        return new BackupException(ErrorCode.INVALID_XML, message);
    }
}
