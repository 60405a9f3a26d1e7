package org.virtbackup.shell;

import java.io.PrintStream;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.FinishJobFlag;
import org.virtbackup.api.JobState;

/** Follows a running job, redrawing one progress line, until it ends. */
final class Progress {

    private Progress() {
    }

    static JobState follow(BackupService service, UUID backup, PrintStream out) throws InterruptedException {
        JobState state;
        while ((state = service.finishJob(backup, Set.of(FinishJobFlag.CHECK))) == JobState.RUNNING) {
            draw(service.getParameters(backup), out);
            Thread.sleep(500);
        }
        draw(service.getParameters(backup), out);
        out.println();
        return state;
    }

    private static void draw(Map<String, Object> p, PrintStream out) {
        out.print("\r" + Sizes.progress((Long) p.get(BackupParameters.BYTES_PROCESSED),
                (Long) p.get(BackupParameters.BYTES_TOTAL), (Long) p.get(BackupParameters.THROUGHPUT)));
        out.flush();
    }
}
