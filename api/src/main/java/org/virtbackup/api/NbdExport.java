package org.virtbackup.api;

import java.util.Objects;

/**
 * Where a third-party tool reads one disk of an unmanaged backup, while its export runs.
 *
 * @param uri the NBD URI: {@code nbd+unix:///vda?socket=/run/virt-backup/<uuid>/nbd.sock},
 *        {@code nbd://host:port/vda}, or {@code nbds://host:port/vda} when TLS is required
 * @param name the export name the NBD server knows the disk by
 * @param bitmapContext for an incremental export, the NBD metadata context whose extents are
 *        the regions written since the parent ({@code qemu:dirty-bitmap:backup-vda}); empty for a
 *        full export
 */
public record NbdExport(String uri, String name, String bitmapContext) {

    public NbdExport {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(name, "name");
        bitmapContext = bitmapContext == null ? "" : bitmapContext;
    }
}
