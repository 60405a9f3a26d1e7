/**
 * The virt-backup API: {@link org.virtbackup.api.BackupService}, a Java twin of the backup API
 * proposed for libvirt, with its immutable value types, flag enums and errors.
 *
 * <p>The XML accepted and produced by the service is described by {@code domainbackup.xsd} in
 * this package (load it with {@code BackupService.class.getResource("domainbackup.xsd")}).
 */
@Version("1.6.0")
@Export
package org.virtbackup.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
