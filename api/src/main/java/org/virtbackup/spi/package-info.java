/**
 * The provider SPI: what another bundle implements to add a backup engine
 * ({@link org.virtbackup.spi.BackupProvider}) or a kind of storage
 * ({@link org.virtbackup.spi.StorageTarget}). The service picks them up on the whiteboard by
 * their service properties and copes with them coming and going.
 */
@Version("1.2.0")
@Export
package org.virtbackup.spi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
