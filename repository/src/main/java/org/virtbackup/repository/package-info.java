/**
 * The backup repository: disks cut into fixed-size chunks, each stored once under the digest of
 * its content (many chunks to a pack object), compressed with zstd and optionally sealed with
 * AES-256-GCM; per backup, one index per disk and a manifest written last. The format is documented in
 * {@code docs/repository-format.md}. A repository lives in an {@link org.virtbackup.repository.ObjectStore}:
 * a directory ({@link org.virtbackup.repository.FileObjectStore}) or, through another bundle, object storage.
 */
@Version("2.3.0")
@Export
package org.virtbackup.repository;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
