package org.virtbackup.api;

/** The state of a backup's job. */
public enum JobState {
    /** The job is copying (managed) or exporting (unmanaged). */
    RUNNING,
    /** The job ended and the backup is whole. */
    COMPLETED,
    /** The job ended in error; the descriptor stays with the reason, the data is removed. */
    FAILED,
    /** The job was cancelled; nothing of it is kept. Only returned, never listed. */
    CANCELLED,
    /** An unmanaged export was left open past the configured limit and was ended. */
    EXPIRED;

    public boolean isFinal() {
        return this != RUNNING;
    }
}
