package org.virtbackup.spi;

import java.util.Optional;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A backup engine, registered as a service with the property {@value #MODE} set to
 * {@code managed} or {@code unmanaged}. The service persists the catalogue; a provider only moves
 * data and reports how that went.
 */
@ConsumerType
public interface BackupProvider {

    /** Service property naming the mode a provider serves. */
    String MODE = "virtbackup.mode";

    /** Starts the job described by the spec; returns as soon as it runs. */
    BackupJob start(JobSpec spec);

    /**
     * Re-attaches to a job the catalogue records as running, after the service or the provider
     * was restarted; empty when nothing of the job is left to attach to (it then failed).
     */
    Optional<BackupJob> resume(JobSpec spec);
}
