package org.virtbackup.impl.catalogue;

import java.nio.file.Path;

import org.virtbackup.api.Backup;

/**
 * A backup, the domain XML kept with it and the private directory holding its files.
 */
public record CatalogueEntry(Backup backup, String domainXml, Path directory) {

    public CatalogueEntry with(Backup newBackup) {
        return new CatalogueEntry(newBackup, domainXml, directory);
    }
}
