package org.virtbackup.impl.qemu;

import java.io.File;
import java.util.List;

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
        pb.environment().put("LC_ALL", "C.UTF-8");
        return pb;
    }
}
