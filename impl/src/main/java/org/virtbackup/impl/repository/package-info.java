/**
 * Repositories on the service's side (the format itself is the {@code org.virtbackup.repository}
 * bundle): opening them by URL within the target roots ({@link org.virtbackup.impl.repository.Repositories}),
 * their manifests as catalogue entries, the job that reads a domain's disks over NBD into chunks,
 * restores from chunks, verification and collection.
 */
package org.virtbackup.impl.repository;
