package org.virtbackup.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When libvirt's jobs of a domain (backup jobs among them) start and end, seen from outside the
 * service at no cost to the job: {@code virsh event --loop --timestamp --event job-completed}
 * runs alongside and reports each end with libvirt's own {@code time_elapsed}, so the start is
 * the end minus that. Times are mapped to {@link System#nanoTime()} (to about a millisecond).
 * Used only for the optional phase breakdown.
 */
final class JobEvents implements AutoCloseable {

    /** One ended libvirt job, in nanoTime. */
    record Job(long startNanos, long endNanos) {
    }

    private static final Pattern HEADER = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})\\+0000: event 'job-completed'");
    private static final Pattern ELAPSED = Pattern.compile("^\\s*time_elapsed:\\s*(\\d+)");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private final Process process;
    private final Thread reader;
    /** nanoTime minus wall-clock nanoseconds since the epoch. */
    private final long offset;
    private final List<Job> jobs = new ArrayList<>();

    JobEvents(String uri, String domain) throws IOException {
        long wall = System.currentTimeMillis() * 1_000_000L;
        offset = System.nanoTime() - wall;
        process = new ProcessBuilder("virsh", "-c", uri, "event", "--domain", domain, "--event", "job-completed",
                "--loop", "--timestamp").redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        reader = new Thread(this::read, "job-events");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            Long end = null;
            for (String line; (line = in.readLine()) != null;) {
                // virsh stamps events in UTC (libvirt's virTimeStringNow), with millisecond digits
                Matcher h = HEADER.matcher(line);
                if (h.find()) {
                    long wallNanos = LocalDateTime.parse(h.group(1), TIME).toInstant(ZoneOffset.UTC).toEpochMilli()
                            * 1_000_000L;
                    end = wallNanos + offset;
                    continue;
                }
                Matcher e = ELAPSED.matcher(line);
                if (end != null && e.find()) {
                    synchronized (jobs) {
                        jobs.add(new Job(end - Long.parseLong(e.group(1)) * 1_000_000L, end));
                        jobs.notifyAll();
                    }
                    end = null;
                }
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** The job that ended between the two nanoTimes (waiting up to 2 s for its event), if seen. */
    Optional<Job> endedBetween(long from, long to) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        synchronized (jobs) {
            while (true) {
                // 2 ms of slack for the millisecond timestamps
                for (Job j : jobs) {
                    if (j.endNanos() >= from - 2_000_000L && j.endNanos() <= to + 2_000_000L) {
                        return Optional.of(j);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                jobs.wait(Math.max(1, left / 1_000_000L));
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
        reader.join(2000);
    }
}
