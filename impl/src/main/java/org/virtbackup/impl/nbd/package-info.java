/**
 * Reading and writing disks over NBD in-process, through libnbd: the repository's data path.
 * QEMU exports a running domain's frozen disks (libvirt's pull mode); qemu-nbd exports a shut-off
 * domain's images and the images a restore writes.
 */
package org.virtbackup.impl.nbd;
