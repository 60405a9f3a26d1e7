package org.virtbackup.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.osgi.annotation.versioning.ConsumerType;
import org.virtbackup.api.DomainRef;

/**
 * Where backups are kept, registered as a service with the property {@value #KIND}. Each backup
 * gets a private directory (0700) holding its images (0600) and its descriptor.
 */
@ConsumerType
public interface StorageTarget {

    /** Service property naming the kind of target ({@code directory}). */
    String KIND = "virtbackup.target.kind";

    /** Creates the private directory of a new backup; fails if it exists. */
    Path create(DomainRef domain, UUID backup);

    /** The directories of every backup held here, for the catalogue to load. */
    List<Path> backups();

    /** Removes a backup's directory and everything in it. */
    void remove(Path backupDirectory);
}
