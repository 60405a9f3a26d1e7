package org.virtbackup.shell;

import java.io.PrintStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;

/**
 * The table of backups that list and children print. On a narrow terminal the disks, the parent,
 * the size and the time go first (in that order); the UUID is always whole, for the other commands.
 */
final class BackupTable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private BackupTable() {
    }

    static void print(List<Backup> backups, PrintStream out, int width) {
        FittedTable table = new FittedTable()
                .column("UUID", FittedTable.ALWAYS, false)
                .flexible("Domain")
                .column("Created", 40, false)
                .column("Kind", 80, false)
                .column("Parent", 30, false)
                .column("State", 90, false)
                .column("Disks", 20, false)
                .column("Stored", 50, true);
        for (Backup b : backups) {
            table.row(b.uuid(), b.domain().name(), TIME.format(b.creationTime()), b.kind().name().toLowerCase(),
                    b.parent() == null ? "-" : b.parent().toString().substring(0, 8),
                    b.state().name().toLowerCase() + (b.damaged() ? ", DAMAGED" : ""),
                    String.join(",", b.disks().stream().map(BackupDisk::name).toList()),
                    Sizes.bytes(b.disks().stream().mapToLong(BackupDisk::stored).sum()));
        }
        table.print(out, width);
    }
}
