package org.virtbackup.api;

/**
 * Flags of {@link BackupService#finishJob}; without any, the call waits for a managed job to end
 * and ends an unmanaged export.
 */
public enum FinishJobFlag {
    /**
     * Abort the job and remove everything it wrote; for an unmanaged export, also drop its
     * checkpoint, so the next incremental does not skip data the third party may not have read.
     */
    CANCEL,
    /** Return the state now, without waiting. */
    CHECK
}
