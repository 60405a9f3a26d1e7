package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.storage.NoSpace;

/**
 * Runs {@code qemu-img} as a child process with an argument array (never a shell string).
 * Copies run detached from the JVM's pipes and process group, their output in a log file, so a
 * copy goes on when the bundle or Karaf stops and can be adopted by the next activation.
 */
public final class QemuImg {

    private final String program;
    private final int parallelism;
    private final Duration stall;

    /** @param stall how long a qemu-img may go without any I/O before it is taken for hung and killed */
    public QemuImg(String program, int parallelism, Duration stall) {
        this.program = program;
        this.parallelism = Math.max(1, parallelism);
        this.stall = stall;
    }

    /**
     * Starts {@code qemu-img convert} of a source (file or NBD URI) into a qcow2 image, with
     * O_DIRECT writes, out-of-order parallel requests and progress lines in {@code log}.
     */
    public Process startConvert(String source, String sourceFormat, Path target, Path log) {
        // setsid: a signal to Karaf's process group (Ctrl-C in its console) must not kill the copy.
        List<String> cmd = new ArrayList<>(List.of("setsid", program, "convert", "-p", "-t", "none", "-W",
                "-m", Integer.toString(parallelism), "-f", sourceFormat, "-O", "qcow2", source, target.toString()));
        try {
            return process(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + program + ": " + e.getMessage(), e);
        }
    }

    /** Whether two images hold the same guest-visible bytes ({@code qemu-img compare}). */
    public boolean identical(String a, String aFormat, String b, String bFormat) {
        Result r = run(List.of(program, "compare", "-f", aFormat, "-F", bFormat, a, b));
        return switch (r.exitCode) {
            case 0 -> true;
            case 1 -> false;
            default -> throw new BackupException(ErrorCode.IO_ERROR, "qemu-img compare " + a + " " + b + ": " + r.output.strip());
        };
    }

    /**
     * Why the persistent bitmap {@code name} of a shut-off domain's image cannot serve an
     * incremental backup, or {@code null}: it must exist, record ("auto") and be consistent
     * (not "in-use", which means QEMU died without saving it).
     */
    public String bitmapProblem(String image, String name) {
        Result r = run(List.of(program, "info", "-U", "--output=json", image));
        if (r.exitCode != 0) {
            return "cannot read " + image + ": " + r.output.strip();
        }
        Matcher m = Pattern.compile(
                "\\{[^{}]*\"name\":\\s*\"" + Pattern.quote(name) + "\"[^{}]*\\}").matcher(r.output);
        if (!m.find()) {
            return "the dirty bitmap " + name + " is missing from " + image;
        }
        if (m.group().contains("\"in-use\"")) {
            return "the dirty bitmap " + name + " in " + image + " is inconsistent (QEMU did not close the image cleanly)";
        }
        if (!m.group().contains("\"auto\"")) {
            return "the dirty bitmap " + name + " in " + image + " is not recording";
        }
        return null;
    }

    /**
     * Rebases a qcow2 image onto another backing file ({@code ""}: none), copying in whatever the
     * old chain held that the new one does not, so the image reads the same afterwards; its
     * progress lines go to {@code log} (read them with {@link #progress}).
     */
    public void rebase(Path image, String backing, Path log) {
        List<String> cmd = new ArrayList<>(List.of(program, "rebase", "-p", "-f", "qcow2", "-b", backing));
        if (!backing.isEmpty()) {
            cmd.addAll(List.of("-F", "qcow2"));
        }
        cmd.add(image.toString());
        try {
            Process p = process(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (ChildProcess.await(p, stall, "qemu-img rebase " + image) != 0) {
                throw failure("qemu-img rebase " + image, errors(log));
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + program + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while rebasing " + image);
        }
    }

    /**
     * Waits for a copy started with {@link #startConvert} to end; killed when it stalls. An
     * interrupt (its bundle stopping) leaves it running for the next activation to adopt.
     */
    public int await(Process copy, String what) throws InterruptedException {
        return ChildProcess.await(copy, stall, what, false);
    }

    /**
     * Whether another process writes the image now (QEMU's image locks: it cannot be opened for a
     * consistent read), as a rebase a killed service left running would. {@link #backingOf} reads
     * through such a lock ({@code -U}) and sees the header as it is before the writer finishes.
     */
    public boolean inUse(Path image) {
        Result r = run(List.of(program, "info", "--output=json", image.toString()));
        return r.exitCode != 0 && r.output.contains("lock");
    }

    /** The absolute path of an image's backing file, empty when it has none. */
    public Optional<Path> backingOf(Path image) {
        Result r = run(List.of(program, "info", "-U", "--output=json", image.toString()));
        if (r.exitCode != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read " + image + ": " + r.output.strip());
        }
        Matcher m = Pattern.compile("\"full-backing-filename\":\\s*\"([^\"]*)\"")
                .matcher(r.output);
        if (m.find()) {
            return Optional.of(Path.of(m.group(1)).toAbsolutePath().normalize());
        }
        if (r.output.contains("\"backing-filename\"")) { // one qemu-img could not resolve: never taken for "none"
            throw new BackupException(ErrorCode.IO_ERROR, "qemu-img cannot resolve the backing file of " + image);
        }
        return Optional.empty();
    }

    /** Creates a qcow2 overlay whose backing file is {@code backing} (relative to the overlay). */
    public void createOverlay(Path image, String backing) {
        Result r = run(List.of(program, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, image.toString()));
        if (r.exitCode != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create " + image + " on " + backing + ": " + r.output.strip());
        }
    }

    /** Creates an empty image of the size (qcow2: nothing allocated; the file's mode stays). */
    public void create(Path image, String format, long size) {
        create(image, format, size, 0);
    }

    /**
     * Creates an empty image of the size; a qcow2 image with clusters of {@code clusterSize} bytes
     * (a power of two from 512 to 2 MiB; 0: qemu-img's default).
     */
    public void create(Path image, String format, long size, int clusterSize) {
        List<String> cmd = new ArrayList<>(List.of(program, "create", "-q", "-f", format));
        if (clusterSize > 0 && format.equals("qcow2")) {
            cmd.addAll(List.of("-o", "cluster_size=" + clusterSize));
        }
        cmd.addAll(List.of(image.toString(), Long.toString(size)));
        Result r = run(cmd);
        if (r.exitCode != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create " + image + ": " + r.output.strip());
        }
    }

    /** Adds a persistent, recording dirty bitmap to an image that no QEMU has open. */
    public void addBitmap(String image, String name) {
        Result r = run(List.of(program, "bitmap", "--add", image, name));
        if (r.exitCode != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot add bitmap " + name + " to " + image + ": " + r.output.strip());
        }
    }

    /** Removes a bitmap from an image that no QEMU has open; a missing one is fine. */
    public void removeBitmap(String image, String name) {
        Result r = run(List.of(program, "bitmap", "--remove", image, name));
        if (r.exitCode != 0 && !r.output.contains("not found")) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot remove bitmap " + name + " from " + image + ": " + r.output.strip());
        }
    }

    /**
     * Writes a whole image (following the source's backing chain) with O_DIRECT and parallel
     * requests; its progress lines go to {@code log} (read them with {@link #progress}).
     */
    public void convert(String source, String sourceFormat, Path target, String targetFormat, Path log)
            throws InterruptedException {
        List<String> cmd = List.of(program, "convert", "-p", "-t", "none", "-W", "-m", Integer.toString(parallelism),
                "-f", sourceFormat, "-O", targetFormat, source, target.toString());
        try {
            Process p = process(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (ChildProcess.await(p, stall, "qemu-img convert " + source) != 0) {
                throw failure("qemu-img convert " + source, errors(log));
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + program + ": " + e.getMessage(), e);
        }
    }

    /** Bytes a conversion of the image into the format needs ({@code qemu-img measure}). */
    public long measure(String image, String format) {
        Result r = run(List.of(program, "measure", "--output=json", "-O", format, image));
        Matcher m = Pattern.compile("\"required\":\\s*(\\d+)").matcher(r.output);
        if (r.exitCode != 0 || !m.find()) {
            throw new BackupException(ErrorCode.IO_ERROR, "qemu-img measure " + image + " failed: " + r.output.strip());
        }
        return Long.parseLong(m.group(1));
    }

    /** A qemu-img process: its messages are matched (ENOSPC's text, {@link NoSpace}). */
    private static ProcessBuilder process(List<String> cmd) {
        return HostProcesses.builder(cmd);
    }

    /** Runs a qemu-img command and returns its exit code and output (read meanwhile, so a full pipe never blocks it). */
    public Result run(List<String> cmd) {
        try {
            Process p = process(cmd).redirectErrorStream(true).start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0]; // the process was killed: its exit says enough
                }
            });
            int exit = ChildProcess.await(p, stall, String.join(" ", cmd.subList(0, Math.min(2, cmd.size()))));
            return new Result(exit, new String(out.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while running "
                    + String.join(" ", cmd.subList(0, Math.min(2, cmd.size()))));
        }
    }

    /**
     * The last progress figure qemu-img printed into a log ({@code "    (42.00/100%)"}), as a
     * fraction; 0 before the first line.
     */
    public static double progress(Path log) {
        try {
            if (!Files.exists(log)) {
                return 0;
            }
            String text = Files.readString(log, StandardCharsets.ISO_8859_1);
            int end = text.lastIndexOf("/100%)");
            int start = end < 0 ? -1 : text.lastIndexOf('(', end);
            if (start < 0) {
                return 0;
            }
            return Double.parseDouble(text.substring(start + 1, end)) / 100.0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * A qemu-img run that failed: {@code NO_SPACE} when its file system filled up (ENOSPC, which
     * qemu-img prints as strerror), else {@code IO_ERROR}.
     */
    public static BackupException failure(String what, String errors) {
        return NoSpace.in(errors)
                ? new BackupException(ErrorCode.NO_SPACE, what + " ran out of space (NO_SPACE): " + errors)
                : new BackupException(ErrorCode.IO_ERROR, what + " failed: " + errors);
    }

    /** The text of a copy's log without its progress lines: what to show when it failed. */
    public static String errors(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).replaceAll("\\s*\\([0-9.]+/100%\\)", "").strip();
        } catch (IOException e) {
            return "";
        }
    }

    public record Result(int exitCode, String output) {
    }
}
