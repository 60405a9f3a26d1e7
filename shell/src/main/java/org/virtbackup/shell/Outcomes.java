package org.virtbackup.shell;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import org.virtbackup.api.policy.DomainOutcome;
import org.virtbackup.api.policy.PolicyRun;

/** How policy runs and their outcomes read in the shell. */
final class Outcomes {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private Outcomes() {
    }

    static String time(Instant t) {
        return t == null ? "-" : TIME.format(t);
    }

    static String run(PolicyRun r) {
        return r == null ? "never run" : time(r.started()) + " (" + r.trigger() + "), " + (r.over()
                ? "ended " + time(r.ended()) : "running");
    }

    static String outcome(DomainOutcome o) {
        StringBuilder s = new StringBuilder("  " + o.domain() + ": " + o.result().name().toLowerCase());
        if (o.backup() != null) {
            s.append(", backup ").append(o.backup());
        }
        if (o.pruned() > 0) {
            s.append(", ").append(o.pruned()).append(" pruned");
        }
        if (o.verified() > 0) {
            s.append(", ").append(o.verified()).append(" verified");
        }
        if (!o.message().isEmpty()) {
            s.append(": ").append(o.message());
        }
        return s.toString();
    }
}
