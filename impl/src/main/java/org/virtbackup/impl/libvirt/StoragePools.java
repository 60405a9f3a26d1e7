package org.virtbackup.impl.libvirt;

import java.nio.file.Path;

/**
 * libvirt's storage pools, for backup images kept as volumes, created and deleted through
 * libvirt's storage API. Only pools whose volumes are files can hold them: the engine writes
 * qcow2 images with backing files (an incremental's parent) into the volume's path.
 */
public interface StoragePools {

    /** Checks that the pool exists, runs and holds files; else {@code INVALID_TARGET} or {@code NOT_SUPPORTED}. */
    void require(String name);

    /** Bytes free in the pool, as libvirt sees them after a refresh. */
    long available(String name);

    /** Creates an empty qcow2 volume, readable by its owner only; returns its path. */
    Path create(String pool, String volume, long capacity);

    /**
     * Deletes the volume at this path if it is one of ours ({@code namePrefix}); true if a volume
     * was deleted, false if libvirt knows no volume there.
     */
    boolean delete(Path path, String namePrefix);
}
