package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupEvents;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;
import org.virtbackup.itests.support.Guest;

/** Event Admin events, as a subscriber in another bundle sees them. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class EventsIT extends BackupTestSupport {

    @Test
    public void aBackupsLifeIsPosted() throws Exception {
        List<Event> seen = Collections.synchronizedList(new ArrayList<>());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, BackupEvents.TOPIC_ALL);
        ServiceRegistration<EventHandler> reg = bundleContext.registerService(EventHandler.class, seen::add, props);
        BackupService backups = backupService();
        try (Guest guest = Guest.startWithData(workDir(), "it-events", 512 * MiB, 384 * MiB)) {
            Backup b = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(b.uuid(), Set.of()));
            Backup cancelled = backups.create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.CANCELLED, backups.finishJob(cancelled.uuid(), EnumSet.of(FinishJobFlag.CANCEL)));
            Backup export = backups.startUnmanaged(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backups.finishJob(export.uuid(), Set.of()));
            backups.delete(export.uuid(), Set.of());
            backups.delete(b.uuid(), Set.of());

            waitUntil("the deletion of " + b.uuid() + " is posted", 10,
                    () -> topics(seen, b.uuid()).contains(BackupEvents.DELETED));
            List<String> life = topics(seen, b.uuid());
            assertEquals(BackupEvents.STARTED, life.get(0));
            assertEquals(List.of(BackupEvents.COMPLETED, BackupEvents.DELETED), life.subList(life.size() - 2, life.size()));
            assertTrue("progress in between: " + life, life.subList(1, life.size() - 2).stream()
                    .allMatch(BackupEvents.PROGRESS::equals));
            Event completed = of(seen, b.uuid(), BackupEvents.COMPLETED);
            assertEquals(guest.name(), completed.getProperty(BackupEvents.DOMAIN_NAME));
            assertEquals("managed", completed.getProperty(BackupEvents.MODE));
            assertEquals("full", completed.getProperty(BackupEvents.KIND));
            assertEquals("completed", completed.getProperty(BackupEvents.STATE));
            assertTrue((Long) completed.getProperty(BackupEvents.BYTES_STORED) > 300 * MiB);

            waitUntil("the cancel is posted", 10, () -> topics(seen, cancelled.uuid()).contains(BackupEvents.CANCELLED));
            waitUntil("the export's life is posted", 10, () -> topics(seen, export.uuid()).contains(BackupEvents.DELETED));
            List<String> exportLife = topics(seen, export.uuid()).stream().filter(t -> !t.equals(BackupEvents.PROGRESS)).toList();
            assertEquals(List.of(BackupEvents.STARTED, BackupEvents.COMPLETED, BackupEvents.DELETED), exportLife);
            assertEquals("unmanaged", of(seen, export.uuid(), BackupEvents.STARTED).getProperty(BackupEvents.MODE));
        } finally {
            reg.unregister();
        }
    }

    private static List<String> topics(List<Event> seen, UUID backup) {
        synchronized (seen) {
            return seen.stream().filter(e -> backup.toString().equals(e.getProperty(BackupEvents.BACKUP)))
                    .map(Event::getTopic).toList();
        }
    }

    private static Event of(List<Event> seen, UUID backup, String topic) {
        synchronized (seen) {
            return seen.stream().filter(e -> backup.toString().equals(e.getProperty(BackupEvents.BACKUP))
                    && e.getTopic().equals(topic)).findFirst().orElseThrow();
        }
    }
}
