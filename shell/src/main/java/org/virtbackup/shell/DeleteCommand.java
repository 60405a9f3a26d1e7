package org.virtbackup.shell;

import java.util.Set;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;

@Service
@Command(scope = "backup", name = "delete", description = "Deletes a backup: its files, its descriptor and its checkpoint")
public class DeleteCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Option(name = "--all", description = "Delete every backup of the backup's domain")
    boolean all;

    @Option(name = "--metadata-only", description = "Forget the backup but leave its files")
    boolean metadataOnly;

    @Option(name = "--children", description = "Delete the backup's whole subtree with it")
    boolean children;

    @Option(name = "--merge", description = "Fold the backup's data into its children, then delete it")
    boolean merge;

    @Override
    public Object execute() {
        Set<DeleteFlag> flags = Flags.of(DeleteFlag.class).with(all, DeleteFlag.ALL)
                .with(metadataOnly, DeleteFlag.METADATA_ONLY).with(children, DeleteFlag.ALL_CHILDREN)
                .with(merge, DeleteFlag.MERGE).set();
        service.delete(Uuids.parse(uuid), flags);
        System.out.println("deleted " + uuid);
        return null;
    }
}
