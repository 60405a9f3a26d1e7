/**
 * File-level restore: a backed-up disk made readable as a file (qemu-nbd over a throw-away
 * overlay, shown as a file by nbdfuse; or a repository disk assembled in the scratch directory),
 * its partitions found (blkid, partx), each mounted read-only by the kernel's own file system
 * driver through a loop device, and files listed and copied out without following a guest's links.
 */
package org.virtbackup.impl.files;
