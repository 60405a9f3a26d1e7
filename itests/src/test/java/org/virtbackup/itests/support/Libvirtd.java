package org.virtbackup.itests.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's libvirtd, which scripts/setup-host.sh started ({@code libvirtd -d}, pid in
 * /run/libvirtd.pid) for the tests: restarted the way a package upgrade restarts it. Running
 * guests go on; their QEMU processes are not libvirtd's children.
 */
public final class Libvirtd {

    private static final Path PID = Path.of("/run/libvirtd.pid");

    private Libvirtd() {
    }

    /** SIGTERM to the daemon the project's scripts started, by its pid; starts it again; waits until it answers. */
    public static void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    /** SIGTERM to the daemon the project's scripts started, by its pid; waits until it is gone. */
    public static void stop() throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readString(PID).strip());
        String comm = Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        if (!comm.equals("libvirtd")) {
            throw new AssertionError(PID + " names pid " + pid + ", which is " + comm + ", not libvirtd: "
                    + "start libvirtd with scripts/setup-host.sh");
        }
        Cmd.ok("kill", "-TERM", Long.toString(pid));
        for (int i = 0; Files.exists(Path.of("/proc", Long.toString(pid))); i++) {
            if (i > 300) {
                throw new AssertionError("libvirtd (pid " + pid + ") did not exit within 30 s of SIGTERM");
            }
            Thread.sleep(100);
        }
    }

    /** Starts libvirtd as scripts/setup-host.sh does; waits until it answers. */
    public static void start() throws IOException, InterruptedException {
        Cmd.ok("libvirtd", "-d");
        for (int i = 0; Cmd.run("virsh", "-c", Guest.URI, "version").exitCode() != 0; i++) {
            if (i > 60) {
                throw new AssertionError("libvirtd does not answer 30 s after its restart; see /var/log/libvirt/libvirtd.log");
            }
            Thread.sleep(500);
        }
    }
}
