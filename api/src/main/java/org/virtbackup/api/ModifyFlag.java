package org.virtbackup.api;

/** Flags of {@link BackupService#setDefaultTarget}. */
public enum ModifyFlag {
    /** Check the target (exists, writable, inside the allowed roots) without storing it. */
    VALIDATE_ONLY
}
