package org.virtbackup.impl.provider.managed;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;

import org.virtbackup.impl.config.Paths;

/**
 * What a running managed job has done so far, in {@value #NAME} in the backup's directory, so a
 * new activation can take the job over: the source kind, the disks done, the copy in flight.
 */
final class JobJournal {

    static final String NAME = ".job";

    enum Source { PULL, PUSH, OFFLINE, OFFLINE_INCREMENTAL, REPOSITORY }

    private final Path file;
    /** What was last written: a change is written first and held only then. */
    private volatile Properties props = new Properties();

    private JobJournal(Path directory) {
        this.file = directory.resolve(NAME);
    }

    static JobJournal create(Path directory, Source source) {
        JobJournal j = new JobJournal(directory);
        j.update(p -> p.setProperty("source", source.name()));
        return j;
    }

    static Optional<JobJournal> open(Path directory) {
        JobJournal j = new JobJournal(directory);
        if (!Files.exists(j.file)) {
            return Optional.empty();
        }
        try (Reader r = Files.newBufferedReader(j.file, StandardCharsets.UTF_8)) {
            j.props.load(r);
            return Optional.of(j);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    Source source() {
        return Source.valueOf(props.getProperty("source", Source.OFFLINE.name()));
    }

    boolean done(String disk) {
        return "done".equals(props.getProperty("disk." + disk));
    }

    /** The pid of the copy of this disk that was in flight, if any. */
    Optional<Long> copyPid(String disk) {
        String pid = props.getProperty("pid." + disk);
        return pid == null ? Optional.empty() : Optional.of(Long.parseLong(pid));
    }

    void copying(String disk, long pid) {
        update(p -> p.setProperty("pid." + disk, Long.toString(pid)));
    }

    void markDone(String disk) {
        update(p -> {
            p.remove("pid." + disk);
            p.setProperty("disk." + disk, "done");
        });
    }

    /** Records how the job ended; a resumed job that finds this has nothing left to do. */
    void finished(org.virtbackup.api.JobState state) {
        update(p -> p.setProperty("state", state.name()));
    }

    Optional<org.virtbackup.api.JobState> finalState() {
        String s = props.getProperty("state");
        return s == null ? Optional.empty() : Optional.of(org.virtbackup.api.JobState.valueOf(s));
    }

    /**
     * Writes the journal changed, and holds the change only once it is written: a copy whose pid
     * could not be written must not look journaled to the job that started it (which kills it).
     * One thread writes a journal, its job's: the copy and swap need no lock.
     */
    private void update(Consumer<Properties> change) {
        Properties next = new Properties();
        next.putAll(props);
        change.accept(next);
        try {
            StringWriter w = new StringWriter();
            next.store(w, null);
            Paths.writeDurably(file, w.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write job journal " + file, e);
        }
        props = next;
    }
}
