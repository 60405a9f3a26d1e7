package org.virtbackup.impl.fakes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.virtbackup.impl.qemu.QemuImg;

/**
 * A qemu-img program for unit tests: a shell script that records each call's arguments, one line
 * per call, and answers {@code info} with the JSON the test sets. Every call succeeds.
 */
public final class FakeQemuImg {

    private final Path calls;
    private final Path info;
    private final QemuImg qemuImg;

    public FakeQemuImg(Path dir) {
        this.calls = dir.resolve("qemu-img.calls");
        this.info = dir.resolve("qemu-img.info");
        Path program = dir.resolve("qemu-img");
        try {
            Files.writeString(program, "#!/bin/sh\necho \"$@\" >> '" + calls + "'\n"
                    + "if [ \"$1\" = info ]; then cat '" + info + "' 2>/dev/null; fi\nexit 0\n");
            Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.qemuImg = new QemuImg(program.toString(), 1, Duration.ofSeconds(5));
    }

    public QemuImg qemuImg() {
        return qemuImg;
    }

    /** What {@code qemu-img info} prints from now on. */
    public void info(String json) {
        try {
            Files.writeString(info, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The arguments of every call so far, oldest first. */
    public List<String> calls() {
        try {
            return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
