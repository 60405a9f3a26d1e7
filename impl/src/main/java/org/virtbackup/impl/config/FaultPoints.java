package org.virtbackup.impl.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named steps of the work that changes backups on disk (create, merge, delete, restore) where
 * the fault suite stops the service, to kill it there with SIGKILL. Enabled only by the system
 * property {@value #DIRECTORY}, which the suite sets on the Karaf it starts; unset, as in every
 * real installation, {@link #reach} does nothing.
 *
 * <p>Enabled, a step is armed while the file {@value #ARMED} in that directory names it (one
 * name per line), so the suite arms a step once the service has started and recovered. A step
 * reached writes its name to {@value #REACHED} there and pauses its thread for good: the suite
 * waits for that file, then kills the JVM. Pausing rather than halting leaves the kill, and its
 * moment, to the suite, as a real crash comes from outside.
 */
public final class FaultPoints {

    /** System property: the directory of the fault suite's files; unset: no fault point. */
    public static final String DIRECTORY = "virtbackup.fault.directory";
    public static final String ARMED = "armed";
    public static final String REACHED = "reached";

    /** No fault point: what tests of single classes use. */
    public static final FaultPoints NONE = new FaultPoints(null);

    private static final Logger LOG = LoggerFactory.getLogger(FaultPoints.class);

    private final Path directory;

    public FaultPoints(Path directory) {
        this.directory = directory;
    }

    /** The fault points of this JVM's system properties: none in a real installation. */
    public static FaultPoints fromSystemProperties() {
        String dir = System.getProperty(DIRECTORY);
        return new FaultPoints(dir == null || dir.isBlank() ? null : Path.of(dir));
    }

    /** Pauses here for good if the step is armed. */
    public void reach(String step) {
        if (directory == null || !armed(step)) {
            return;
        }
        LOG.error("Fault point {} reached: paused until this JVM is killed ({} is set)", step, DIRECTORY);
        try {
            Paths.writeDurably(directory.resolve(REACHED), step + "\n");
        } catch (IOException e) {
            LOG.error("Cannot write {}: {}", directory.resolve(REACHED), e.getMessage());
        }
        CountDownLatch never = new CountDownLatch(1);
        while (true) {
            try {
                never.await();
            } catch (InterruptedException e) {
                // a bundle stopping interrupts its threads: still paused, as a crash does not unwind
            }
        }
    }

    private boolean armed(String step) {
        try {
            return Files.readAllLines(directory.resolve(ARMED), StandardCharsets.UTF_8).stream()
                    .anyMatch(l -> l.strip().equals(step));
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            LOG.warn("Cannot read {}: {}", directory.resolve(ARMED), e.getMessage());
            return false;
        }
    }
}
