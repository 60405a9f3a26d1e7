package org.virtbackup.impl.qemu;

import java.io.File;
import java.util.List;
import java.util.Map;

/**
 * Starts every program the service runs on the host (qemu-img, qemu-nbd, qemu-storage-daemon,
 * getfacl and setfacl, blkid, mount, nbdfuse) the same way. Their messages are matched and their
 * output parsed, so they run in the C.UTF-8 locale whatever Karaf's is: a German locale, say,
 * translates strerror's "No space left on device", and plain C would print the non-ASCII bytes
 * of a path as {@code \xNN}. None of them reads its standard input, which is {@code /dev/null}.
 */
public final class HostProcesses {

    private HostProcesses() {
    }

    /** A process of the command, its environment set as above; redirect its output as needed. */
    public static ProcessBuilder builder(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        untranslated(pb.environment());
        return pb;
    }

    /**
     * The environment, untranslated: LC_ALL C.UTF-8, and no LANGUAGE, which gettext honours over
     * LC_ALL in every locale but plain C (Debian's installer writes it to /etc/default/locale).
     */
    static Map<String, String> untranslated(Map<String, String> environment) {
        environment.put("LC_ALL", "C.UTF-8");
        environment.remove("LANGUAGE");
        return environment;
    }
}
