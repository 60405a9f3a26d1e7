package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The QEMU servers a killed JVM left running in the runtime directory, found by the pid files
 * they write beside their sockets: a qemu-nbd serving an image, a qemu-storage-daemon copying a
 * shut-off domain's dirty clusters. Either holds its images' locks, so the domain does not start
 * while one lives. They are asked to end (SIGTERM: the daemon then closes its images cleanly,
 * bitmaps included), killed after 10 s.
 */
public final class LeftServers {

    /** Pid-file suffix, and the program whose pid it must name (a pid reused by another is left alone). */
    private static final Map<String, String> KINDS = Map.of(QemuNbd.PID, "qemu-nbd", StorageDaemon.PID, "qemu-storage-daemon");

    private LeftServers() {
    }

    /** Stops them (one this JVM started is left alone) and removes their files; returns how many it stopped. */
    public static int stop(Path runtimeDirectory) throws IOException {
        if (!Files.isDirectory(runtimeDirectory)) {
            return 0;
        }
        int stopped = 0;
        long self = ProcessHandle.current().pid();
        try (var files = Files.list(runtimeDirectory)) {
            for (Path pidFile : files.toList()) {
                String name = pidFile.getFileName().toString();
                Optional<Map.Entry<String, String>> kind = KINDS.entrySet().stream().filter(k -> name.endsWith(k.getKey()))
                        .findFirst();
                if (kind.isEmpty()) {
                    continue;
                }
                Optional<ProcessHandle> p;
                try {
                    p = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()));
                } catch (NumberFormatException e) {
                    p = Optional.empty();
                }
                String program = kind.get().getValue();
                boolean ours = p.filter(ProcessHandle::isAlive)
                        .filter(h -> h.info().command().map(c -> c.endsWith(program)).orElse(false)).isPresent();
                if (ours && p.get().parent().map(ProcessHandle::pid).orElse(-1L) == self) {
                    continue; // a server of a job of this JVM
                }
                if (ours) {
                    p.get().destroy();
                    p.get().onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join();
                    if (p.get().isAlive()) {
                        p.get().destroyForcibly();
                    }
                    stopped++;
                }
                String socket = pidFile.toString().substring(0, pidFile.toString().length() - kind.get().getKey().length());
                Files.deleteIfExists(Path.of(socket));
                Files.deleteIfExists(Path.of(socket + ".log"));
                Files.deleteIfExists(pidFile);
            }
        }
        return stopped;
    }
}
