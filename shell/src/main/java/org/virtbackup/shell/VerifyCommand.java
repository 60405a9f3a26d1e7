package org.virtbackup.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.JobState;
import org.virtbackup.api.VerifyResult;

@Service
@Command(scope = "backup", name = "verify", description = "Reads and checks every chunk of repository backups; "
        + "a damaged chunk marks every backup naming it")
public class VerifyCommand implements Action {

    @Reference
    BackupService service;

    @Argument(index = 0, name = "uuid", description = "Backup UUID")
    @Completion(BackupCompleter.class)
    String uuid;

    @Option(name = "--all", description = "Every completed repository backup")
    boolean all;

    @Override
    public Object execute() {
        if (all == (uuid != null)) {
            throw new IllegalArgumentException("give a backup UUID or --all");
        }
        List<UUID> chosen = new ArrayList<>();
        if (all) {
            service.list(null, Set.of()).stream().filter(Backup::inRepository)
                    .filter(b -> b.state() == JobState.COMPLETED).map(Backup::uuid).forEach(chosen::add);
        } else {
            chosen.add(Uuids.parse(uuid));
        }
        int damaged = 0;
        int failed = 0;
        for (UUID u : chosen) {
            VerifyResult r;
            try {
                r = service.verify(u);
            } catch (BackupException e) {
                if (!all) {
                    throw e;
                }
                // One backup deleted since the listing, one repository away: the others are still verified.
                failed++;
                System.out.println(u + ": not verified: " + e.getMessage());
                continue;
            }
            System.out.println(u + ": " + (r.whole() ? "whole" : "DAMAGED") + ", " + r.chunks() + " chunks, "
                    + Sizes.bytes(r.bytes()) + " checked");
            r.damaged().forEach(d -> System.out.println("  damaged chunk " + d));
            if (!r.whole()) {
                damaged++;
                System.out.println("  backups naming them (marked damaged): " + r.damagedBackups());
            }
        }
        if (all) {
            System.out.println((chosen.size() - failed) + " backups verified, " + damaged + " damaged"
                    + (failed == 0 ? "" : ", " + failed + " not verified"));
        }
        if (damaged > 0 || failed > 0) {
            throw new IllegalStateException(damaged + " damaged, " + failed + " not verified");
        }
        return null;
    }
}
