package org.virtbackup.impl.xml;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import jakarta.xml.bind.annotation.XmlAccessType;
import jakarta.xml.bind.annotation.XmlAccessorType;
import jakarta.xml.bind.annotation.XmlAnyElement;
import jakarta.xml.bind.annotation.XmlAttribute;
import jakarta.xml.bind.annotation.XmlElement;
import jakarta.xml.bind.annotation.XmlElementWrapper;
import jakarta.xml.bind.annotation.XmlRootElement;
import jakarta.xml.bind.annotation.XmlType;

import org.w3c.dom.Element;

/** JAXB mapping of {@code <domainbackup>} (see domainbackup.xsd); only {@link BackupXml} sees it. */
@XmlRootElement(name = "domainbackup")
@XmlAccessorType(XmlAccessType.FIELD)
@XmlType(propOrder = {"uuid", "creationTime", "completionTime", "description", "domainName", "parent", "state",
    "kind", "mode", "checkpoint", "incremental", "message", "damaged", "server", "domainref", "disks", "firmware", "domain"})
class DomainBackupElement {
    String uuid;
    BigDecimal creationTime;
    BigDecimal completionTime;
    String description;
    String domainName;
    Parent parent;
    String state;
    String kind;
    String mode;
    String checkpoint;
    /** libvirt's dialect: the checkpoint an incremental backup starts from. */
    String incremental;
    String message;
    String damaged;
    Server server;
    DomainRefElement domainref;
    @XmlElementWrapper(name = "disks")
    @XmlElement(name = "disk")
    List<Disk> disks;
    @XmlElementWrapper(name = "firmware")
    @XmlElement(name = "file")
    List<FirmwareFileElement> firmware;
    /** The only element the schema lets through here is {@code <domain>}. */
    @XmlAnyElement
    Element domain;
    /** libvirt's dialect: push or pull. */
    @XmlAttribute(name = "mode")
    String dialectMode;

    @XmlAccessorType(XmlAccessType.FIELD)
    static class Parent {
        String uuid;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class DomainRefElement {
        @XmlAttribute
        String name;
        @XmlAttribute
        String uuid;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class Disk {
        @XmlAttribute
        String name;
        @XmlAttribute
        String format;
        @XmlAttribute
        Long capacity;
        @XmlAttribute
        Long stored;
        @XmlAttribute
        Long deduplicated;
        /** libvirt's dialect, from here on. */
        @XmlAttribute
        String backup;
        @XmlAttribute
        String type;
        @XmlAttribute
        String backupmode;
        @XmlAttribute
        String incremental;
        @XmlAttribute
        String exportname;
        @XmlAttribute
        String exportbitmap;
        Target target;
        Export export;
        Driver driver;
        Scratch scratch;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class FirmwareFileElement {
        @XmlAttribute
        String kind;
        @XmlAttribute
        String name;
        @XmlAttribute
        Long size;
        @XmlAttribute
        String sha256;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class Driver {
        @XmlAttribute
        String type;
    }

    /** Its content does not matter: a scratch element is refused. */
    @XmlAccessorType(XmlAccessType.FIELD)
    static class Scratch {
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class Export {
        @XmlAttribute
        String uri;
        @XmlAttribute
        String name;
        @XmlAttribute
        String bitmap;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class Server {
        @XmlAttribute
        String transport;
        @XmlAttribute
        String name;
        @XmlAttribute
        Integer port;
        @XmlAttribute
        String tls;
        @XmlAttribute
        String socket;
    }

    @XmlAccessorType(XmlAccessType.FIELD)
    static class Target {
        @XmlAttribute
        String file;
        @XmlAttribute
        String pool;
        @XmlAttribute
        String volume;
        @XmlAttribute
        String repository;
        @XmlAttribute
        String dev;
        /** libvirt's {@code <seclabel>} or {@code <encryption>}, refused by name. */
        @XmlAnyElement
        List<Element> children;
    }

    List<Disk> disks() {
        return disks == null ? new ArrayList<>() : disks;
    }
}
