package org.virtbackup.spi;

import java.nio.file.Path;
import java.util.Set;

import org.virtbackup.api.Backup;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.NbdServer;

/**
 * What a provider needs to run or resume a job.
 *
 * @param backup the catalogue's record: domain, disks and where each disk's copy goes
 * @param domainXml the domain's libvirt XML at backup time (disk sources, formats)
 * @param directory the backup's private directory in its storage target
 * @param flags the flags the backup was created with (empty when resuming)
 * @param parent the parent of an incremental backup, its disks' images and checkpoint; {@code null} for a full one
 * @param server for an unmanaged backup, how its NBD server listens as the caller asked
 *        ({@code null}: the provider's default); the started disks' URIs say where it listens
 */
public record JobSpec(Backup backup, String domainXml, Path directory, Set<CreateFlag> flags, Backup parent,
        NbdServer server) {

    public JobSpec {
        flags = flags == null ? Set.of() : Set.copyOf(flags);
    }

    /** A spec with the default NBD server. */
    public JobSpec(Backup backup, String domainXml, Path directory, Set<CreateFlag> flags, Backup parent) {
        this(backup, domainXml, directory, flags, parent, null);
    }
}
