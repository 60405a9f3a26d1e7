package org.virtbackup.impl.libvirt;

/**
 * A disk of a domain as its XML declares it.
 *
 * @param name the target device ({@code vda})
 * @param source the image file or block device, {@code null} for network or empty disks
 * @param format the driver type ({@code qcow2}, {@code raw})
 */
public record DomainDisk(String name, String source, String format) {
}
