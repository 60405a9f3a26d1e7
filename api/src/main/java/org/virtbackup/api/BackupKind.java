package org.virtbackup.api;

/** Whether a backup holds whole disks or only what changed since its parent. */
public enum BackupKind {
    FULL, INCREMENTAL
}
