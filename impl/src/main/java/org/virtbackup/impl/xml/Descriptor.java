package org.virtbackup.impl.xml;

import java.util.Objects;

import org.virtbackup.api.Backup;

/**
 * A catalogue descriptor: the backup and the domain XML kept with it.
 *
 * @param backup the backup
 * @param domainXml the domain's libvirt XML at backup time
 */
public record Descriptor(Backup backup, String domainXml) {

    public Descriptor {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(domainXml, "domainXml");
    }
}
