package org.virtbackup.shell;

import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;

/** A backup's note once it has ended: what needs the operator still (a libvirt job left holding the domain). */
final class Notes {

    private Notes() {
    }

    /**
     * Prints the note, if the backup has one other than what was shown when it started; a backup
     * that cannot be read now has none to print.
     */
    static void print(BackupService service, UUID backup, String shown) {
        try {
            service.lookup(backup).map(Backup::message).filter(m -> !m.isEmpty() && !m.equals(shown))
                    .ifPresent(m -> System.out.println("Note: " + m));
        } catch (RuntimeException e) {
            // the state was printed; the note is extra
        }
    }
}
