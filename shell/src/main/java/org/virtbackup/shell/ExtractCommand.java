package org.virtbackup.shell;

import java.nio.file.Path;
import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.api.files.GuestFile;

@Service
@Command(scope = "backup", name = "extract", description = "Copies a file or a directory out of a backup point "
        + "into a directory inside the restore roots, without restoring the disk")
public class ExtractCommand implements Action {

    @Reference
    BackupFiles files;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Argument(index = 1, name = "disk", description = "Disk (vda)", required = true)
    String disk;

    @Argument(index = 2, name = "path", description = "File or directory in the disk (p1/etc/hosts)", required = true)
    String path;

    @Option(name = "--to", description = "Existing directory inside restore.roots to copy into")
    String to;

    /** Karaf reads options before the arguments only; "--to DIR" after them is taken here, as operators type it. */
    @Argument(index = 3, name = "--to DIR", description = "The destination may also follow the path: --to DIR",
            multiValued = true)
    List<String> tail;

    @Override
    public Object execute() {
        String into = to;
        if (tail != null && !tail.isEmpty()) {
            if (into != null || tail.size() != 2 || !tail.get(0).equals("--to")) {
                throw new IllegalArgumentException("after the path only '--to DIR' may follow, not " + tail);
            }
            into = tail.get(1);
        }
        if (into == null) {
            throw new IllegalArgumentException("say where to copy to: --to DIR (a directory inside restore.roots)");
        }
        ExtractResult r = files.extract(Uuids.parse(uuid), disk, path, Path.of(into));
        System.out.println("extracted " + GuestFile.printable(r.path().toString()) + ": " + r.files() + " files, "
                + Sizes.bytes(r.bytes()));
        r.skipped().forEach(s -> System.out.println("skipped (device, pipe or socket): " + GuestFile.printable(s)));
        return null;
    }
}
