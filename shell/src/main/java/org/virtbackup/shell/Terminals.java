package org.virtbackup.shell;

import org.apache.karaf.shell.api.console.Session;

/** The width of the terminal a command prints to. */
final class Terminals {

    private Terminals() {
    }

    /** Columns of the session's terminal; 0 when there is none (a script, a pipe): print at natural width. */
    static int width(Session session) {
        return session == null || session.getTerminal() == null ? 0 : Math.max(0, session.getTerminal().getWidth());
    }
}
