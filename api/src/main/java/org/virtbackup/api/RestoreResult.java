package org.virtbackup.api;

import java.util.List;

/**
 * What a restore produced.
 *
 * @param domain the domain restored into, {@code null} if only images were written
 * @param disks each restored disk with its image path and, with {@link RestoreFlag#VERIFY}, the result
 */
public record RestoreResult(DomainRef domain, List<RestoredDisk> disks) {

    public RestoreResult {
        disks = List.copyOf(disks);
    }

    /**
     * @param name disk name
     * @param path image written
     * @param verified {@code null} when not verified, else whether the image equals the backup point
     */
    public record RestoredDisk(String name, String path, Boolean verified) {
    }
}
