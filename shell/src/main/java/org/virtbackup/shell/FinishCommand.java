package org.virtbackup.shell;

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
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;

@Service
@Command(scope = "backup", name = "finish",
        description = "Waits for a backup's job to end, or ends an NBD export (or checks or cancels either), "
                + "and prints its state")
public class FinishCommand implements Action {

    @Reference
    BackupService service;

    @Reference
    Session session;

    @Argument(index = 0, name = "uuid", description = "Backup UUID", required = true)
    @Completion(BackupCompleter.class)
    String uuid;

    @Option(name = "--check", description = "Print the state now, do not wait")
    boolean check;

    @Option(name = "--wait", description = "While waiting, show the job's progress (bytes, rate, ETA)")
    boolean wait;

    @Option(name = "--cancel", description = "Abort the job and remove what it wrote; for an export, also drop its checkpoint")
    boolean cancel;

    @Override
    public Object execute() throws InterruptedException {
        if (check && cancel) {
            throw new IllegalArgumentException("give --check or --cancel, not both");
        }
        UUID backup = Uuids.parse(uuid);
        JobState state = null;
        if (wait && !check && !cancel && service.finishJob(backup, Set.of(FinishJobFlag.CHECK)) == JobState.RUNNING
                && service.lookup(backup).map(b -> b.mode() == BackupMode.MANAGED).orElse(false)) {
            state = new Progress(System.out, Terminals.width(session)).follow(service, backup); // cancelled: gone
        }
        if (state == null || state == JobState.RUNNING) {
            Set<FinishJobFlag> flags = Flags.of(FinishJobFlag.class).with(check, FinishJobFlag.CHECK)
                    .with(cancel, FinishJobFlag.CANCEL).set();
            state = service.finishJob(backup, flags);
        }
        System.out.println(state.name().toLowerCase());
        if (state == JobState.COMPLETED) {
            Notes.print(service, backup, "");
        }
        if (!check && (state == JobState.FAILED || state == JobState.EXPIRED)) {
            throw new IllegalStateException("backup " + backup + " " + state.name().toLowerCase() + ": see backup:info " + backup);
        }
        return null;
    }
}
