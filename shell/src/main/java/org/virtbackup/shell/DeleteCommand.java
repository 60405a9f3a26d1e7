package org.virtbackup.shell;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.Session;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.DeleteFlag;

@Service
@Command(scope = "backup", name = "delete", description = "Deletes a backup: its files, its descriptor and its checkpoint")
public class DeleteCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

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

    @Option(name = "--wait", description = "With --merge: show the rebase of the children (bytes, rate, ETA)")
    boolean wait;

    @Override
    public Object execute() throws Exception {
        Set<DeleteFlag> flags = Flags.of(DeleteFlag.class).with(all, DeleteFlag.ALL)
                .with(metadataOnly, DeleteFlag.METADATA_ONLY).with(children, DeleteFlag.ALL_CHILDREN)
                .with(merge, DeleteFlag.MERGE).set();
        UUID backup = Uuids.parse(uuid);
        if (wait) {
            Progress progress = new Progress(System.out, Terminals.width(session));
            progress.during(() -> {
                service.delete(backup, flags);
                return null;
            }, () -> merged(backup));
            System.out.println("deleted " + backup + what() + " in " + progress.elapsedMillis() + " ms");
        } else {
            service.delete(backup, flags);
            System.out.println("deleted " + backup + what());
        }
        return null;
    }

    /** What went with the backup, or what stayed of it: the line says all that the flags did. */
    private String what() {
        return (all ? " and every other backup of its domain" : children ? " with its descendants"
                : merge ? " (merged into its children)" : "") + (metadataOnly ? ", metadata only: the files stay" : "");
    }

    /** How far the merge is, while the backup is being folded into its children. */
    private Optional<long[]> merged(UUID backup) {
        try {
            Map<String, Object> p = service.getParameters(backup);
            return p.get(BackupParameters.MERGE_BYTES_TOTAL) instanceof Long total
                    && p.get(BackupParameters.MERGE_BYTES_PROCESSED) instanceof Long done
                    ? Optional.of(new long[] {total, done}) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty(); // deleted meanwhile
        }
    }
}
