package org.virtbackup.shell;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.apache.karaf.shell.support.table.ShellTable;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;

/** The table of backups that list and children print. */
final class BackupTable {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private BackupTable() {
    }

    static void print(List<Backup> backups) {
        ShellTable table = new ShellTable();
        table.column("UUID");
        table.column("Domain");
        table.column("Created");
        table.column("Kind");
        table.column("Parent");
        table.column("State");
        table.column("Disks");
        table.column("Stored").alignRight();
        for (Backup b : backups) {
            table.addRow().addContent(b.uuid(), b.domain().name(), TIME.format(b.creationTime()),
                    b.kind().name().toLowerCase(), b.parent() == null ? "-" : b.parent().toString().substring(0, 8),
                    b.state().name().toLowerCase(), String.join(",", b.disks().stream().map(BackupDisk::name).toList()),
                    Sizes.bytes(b.disks().stream().mapToLong(BackupDisk::stored).sum()));
        }
        table.print(System.out);
    }
}
