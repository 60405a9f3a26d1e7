package org.virtbackup.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.osgi.annotation.versioning.ConsumerType;
import org.virtbackup.api.DomainRef;

/**
 * Where backups are kept, registered as a service with the property {@value #KIND}. Each backup
 * gets a private directory (0700) holding its images (0600) and its descriptor.
 *
 * <p>The built-in kind {@code directory} is the global target ({@code target.directory}). A
 * bundle adds a kind by registering its own; a domain's backups then go there after
 * {@code setDefaultTarget(domain, "<target type='KIND'/>", ...)}. The service's backups join the
 * catalogue when it is registered, and the kind is refused while no such service is registered.
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

    /**
     * Bytes free for new backups, checked against what a full backup needs before it starts;
     * {@link Long#MAX_VALUE} when the target cannot tell.
     *
     * @since 1.2
     */
    default long usableSpace() {
        return Long.MAX_VALUE;
    }
}
