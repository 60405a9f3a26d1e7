package org.virtbackup.impl.jobs;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupEvents;
import org.virtbackup.api.JobState;
import org.virtbackup.spi.JobProgress;

/** Posts {@link BackupEvents} through Event Admin when one is there; without it, nothing happens. */
public final class Events {

    private final AtomicReference<EventAdmin> eventAdmin = new AtomicReference<>();

    /** Event Admin has come: events go to it. */
    public void use(EventAdmin admin) {
        eventAdmin.set(admin);
    }

    /** Event Admin has gone: events go nowhere until another comes. */
    public void drop(EventAdmin admin) {
        eventAdmin.compareAndSet(admin, null);
    }

    /** Whether events go anywhere: without Event Admin, nothing need be gathered for them. */
    public boolean enabled() {
        return eventAdmin.get() != null;
    }

    public void started(Backup b) {
        Map<String, Object> p = properties(b);
        if (b.parent() != null) {
            p.put(BackupEvents.PARENT, b.parent().toString());
        }
        post(BackupEvents.STARTED, p);
    }

    public void progress(Backup b, JobProgress progress) {
        Map<String, Object> p = properties(b);
        p.put(BackupEvents.BYTES_TOTAL, progress.total());
        p.put(BackupEvents.BYTES_PROCESSED, progress.processed());
        post(BackupEvents.PROGRESS, p);
    }

    /** The end of a job, by the state it ended in. */
    public void ended(Backup b) {
        Map<String, Object> p = properties(b);
        String topic = switch (b.state()) {
            case COMPLETED -> BackupEvents.COMPLETED;
            case CANCELLED -> BackupEvents.CANCELLED;
            case EXPIRED -> BackupEvents.EXPIRED;
            default -> BackupEvents.FAILED;
        };
        if (b.state() == JobState.COMPLETED) {
            p.put(BackupEvents.BYTES_STORED, b.disks().stream().mapToLong(BackupDisk::stored).sum());
        }
        if (!b.message().isEmpty()) {
            p.put(BackupEvents.MESSAGE, b.message());
        }
        post(topic, p);
    }

    public void deleted(Backup b) {
        post(BackupEvents.DELETED, properties(b));
    }

    public void restored(Backup b, String newDomain) {
        Map<String, Object> p = properties(b);
        if (newDomain != null) {
            p.put(BackupEvents.RESTORED_DOMAIN, newDomain);
        }
        post(BackupEvents.RESTORED, p);
    }

    private static Map<String, Object> properties(Backup b) {
        Map<String, Object> p = new HashMap<>();
        p.put(BackupEvents.BACKUP, b.uuid().toString());
        p.put(BackupEvents.DOMAIN_NAME, b.domain().name());
        p.put(BackupEvents.DOMAIN_UUID, b.domain().uuid().toString());
        p.put(BackupEvents.MODE, lower(b.mode()));
        p.put(BackupEvents.KIND, lower(b.kind()));
        p.put(BackupEvents.STATE, lower(b.state()));
        return p;
    }

    private void post(String topic, Map<String, Object> properties) {
        EventAdmin admin = eventAdmin.get();
        if (admin != null) {
            admin.postEvent(new Event(topic, properties));
        }
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
