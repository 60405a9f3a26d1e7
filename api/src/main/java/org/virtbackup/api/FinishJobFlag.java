package org.virtbackup.api;

/** Flags of {@link BackupService#finishJob}; without any, the call waits for the job to end. */
public enum FinishJobFlag {
    /** Abort the job and remove everything it wrote. */
    CANCEL,
    /** Return the state now, without waiting. */
    CHECK
}
