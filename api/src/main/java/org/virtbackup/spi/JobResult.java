package org.virtbackup.spi;

import java.util.List;

import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.JobState;

/**
 * How a job ended.
 *
 * @param state completed, failed or cancelled
 * @param message why it failed, empty otherwise
 * @param disks the disks with their stored sizes
 */
public record JobResult(JobState state, String message, List<BackupDisk> disks) {

    public JobResult {
        message = message == null ? "" : message;
        disks = List.copyOf(disks);
    }
}
