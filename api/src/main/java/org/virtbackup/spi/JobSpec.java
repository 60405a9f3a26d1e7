package org.virtbackup.spi;

import java.nio.file.Path;

import org.virtbackup.api.Backup;

/**
 * What a provider needs to run or resume a job.
 *
 * @param backup the catalogue's record: domain, disks and where each disk's copy goes
 * @param domainXml the domain's libvirt XML at backup time (disk sources, formats)
 * @param directory the backup's private directory in its storage target
 */
public record JobSpec(Backup backup, String domainXml, Path directory) {
}
