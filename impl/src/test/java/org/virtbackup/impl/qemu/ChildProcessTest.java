package org.virtbackup.impl.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/** Real child processes (shell scripts standing in for qemu-img) that hang, work slowly, talk a lot. */
class ChildProcessTest {

    @TempDir
    Path tmp;

    private final QemuImg qemuImg = new QemuImg("unused", 1, Duration.ofSeconds(2));

    @Test
    void aProcessThatDoesNoIoIsKilledAfterTheStallLimit() throws Exception {
        Path script = script("hang", "exec sleep 600");
        long start = System.nanoTime();
        BackupException e = assertThrows(BackupException.class, () -> qemuImg.run(List.of(script.toString())));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("neither read nor wrote anything for 2 s and was killed"), e.getMessage());
        assertTrue(seconds < 10, "killed after " + seconds + " s");
    }

    @Test
    void aSlowProcessThatKeepsWritingRunsPastTheLimit() throws Exception {
        Path out = tmp.resolve("out");
        Path script = script("slow", "for i in $(seq 1 25); do echo $i >> " + out + "; sleep 0.2; done; echo done");
        QemuImg.Result r = qemuImg.run(List.of(script.toString()));
        assertEquals(0, r.exitCode());
        assertEquals("done", r.output().strip());
        assertEquals(25, Files.readAllLines(out).size());
    }

    @Test
    void aProcessThatPrintsMoreThanAPipeHoldsIsNotBlockedByIt() throws Exception {
        Path script = script("chatty", "head -c 1048576 /dev/zero | tr '\\0' 'x'; exit 3");
        QemuImg.Result r = qemuImg.run(List.of(script.toString()));
        assertEquals(3, r.exitCode());
        assertEquals(1048576, r.output().length());
    }

    @Test
    void aCancelKillsTheProcessAtOnce() throws Exception {
        Path pidFile = tmp.resolve("pid");
        Path script = script("long", "echo $$ > " + pidFile + "; exec sleep 600");
        Thread[] runner = new Thread[1];
        CompletableFuture<Void> copy = CompletableFuture.runAsync(() -> {
            runner[0] = Thread.currentThread();
            qemuImg.run(List.of(script.toString()));
        });
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            Thread.sleep(20);
        }
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        runner[0].interrupt();
        ExecutionException e = assertThrows(ExecutionException.class, () -> copy.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("interrupted"), e.getCause().getMessage());
        for (int i = 0; i < 50 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); i++) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the process was killed");
    }

    private Path script(String name, String body) throws Exception {
        Path s = Files.writeString(tmp.resolve(name + ".sh"), "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(s, PosixFilePermissions.fromString("rwx------"));
        return s;
    }
}
