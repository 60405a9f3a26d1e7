package org.virtbackup.api;

/** Flags of {@link BackupService#create} and {@link BackupService#startUnmanaged}. */
public enum CreateFlag {
    /** Freeze the guest's file systems through the QEMU guest agent around the start of the job. */
    QUIESCE,
    /** Make a full backup even when the XML names a parent. */
    FORCE_FULL,
    /** Take the domain's latest valid backup as parent; make a full backup when there is none. */
    INCREMENTAL,
    /** Fail, rather than fall back to a full backup, when the parent's checkpoint is unusable. */
    STRICT_INCREMENTAL
}
