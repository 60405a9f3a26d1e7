/**
 * Single files out of a backup point: {@link org.virtbackup.api.files.BackupFiles} lists a
 * disk's partitions and directories and copies files or whole directories out, read-only,
 * without restoring the disk.
 */
@Version("1.0.0")
@Export
package org.virtbackup.api.files;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
