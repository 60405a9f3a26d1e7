package org.virtbackup.api;

/** Who keeps a backup's data. */
public enum BackupMode {
    /** The service copies the disks into a storage target. */
    MANAGED,
    /** A third party reads NBD exports; the service keeps only the bookkeeping. */
    UNMANAGED
}
