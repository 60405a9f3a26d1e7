package org.virtbackup.api;

/** Flags of {@link BackupService#restore}. */
public enum RestoreFlag {
    /** Define a new domain (new name, UUID and MAC addresses) on the restored disks. */
    NEW_DOMAIN,
    /** Write the backup over the existing, shut-off domain's disks. */
    REWRITE_EXISTING_DISK,
    /**
     * Compare every restored image with its backup point and report the result; an image that
     * differs fails the restore ({@code IO_ERROR}) before it takes a disk's place: nothing of the
     * restore is kept, and rewritten disks stay as they were.
     */
    VERIFY,
    /** Start the new domain once restored. */
    START,
    /** Make the new domain's disks thin overlays on the backup chain: ready at once. */
    INSTANT
}
