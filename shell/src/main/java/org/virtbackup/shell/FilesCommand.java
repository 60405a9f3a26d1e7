package org.virtbackup.shell;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.api.files.GuestFile;

@Service
@Command(scope = "backup", name = "files", description = "Lists the disks, partitions or files of a backup point, "
        + "read-only, without restoring it")
public class FilesCommand implements Action {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    @Reference
    BackupFiles files;

    @Reference
    Session session;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Argument(index = 1, name = "disk", description = "Disk (vda); without it, the backup's disks")
    String disk;

    @Argument(index = 2, name = "path", description = "Directory or file in the disk: p1/etc on a disk with "
            + "partitions, etc on one without; without it, the disk's root")
    String path;

    @Override
    public Object execute() {
        List<GuestFile> entries = files.listFiles(Uuids.parse(uuid), disk, path);
        FittedTable table = new FittedTable().column("Type", FittedTable.ALWAYS, false)
                .column("Size", 3, true).column("Modified", 2, false).flexible("Name");
        for (GuestFile f : entries) {
            String name = GuestFile.printable(f.name()) + (f.type() == GuestFile.Type.LINK ? " -> " + GuestFile.printable(f.detail())
                    : f.detail() != null ? " (" + GuestFile.printable(f.detail()) + ")" : "");
            table.row(f.type().name().toLowerCase(), Sizes.bytes(f.size()),
                    f.modified() == null ? "" : WHEN.format(f.modified()), name);
        }
        table.print(System.out, Terminals.width(session));
        return null;
    }
}
