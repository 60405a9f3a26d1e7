package org.virtbackup.impl.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.virtbackup.impl.config.Paths;

/**
 * A restore under way, recorded durably in the restored backup's directory before its first
 * write: the files it writes. A restore cut short by a crash is finished or undone from it at the
 * next start, as a whole: once every image was copied ({@link #copied}) the restored images take
 * their places; before, every temporary goes and every disk moved aside comes back. So a domain's
 * disks are never from two moments, and no full-size temporary is left behind.
 */
public final class RestoreIntent {

    private static final String PREFIX = "restore-";
    private static final String SUFFIX = ".intent";

    private final Path file;
    private final List<Path> targets;

    private RestoreIntent(Path file, List<Path> targets) {
        this.file = file;
        this.targets = targets;
    }

    /** Records the restore's targets, before anything is written or moved. */
    static RestoreIntent begin(Path backupDirectory, List<RestoreTarget> plan) {
        Path file = backupDirectory.resolve(PREFIX + UUID.randomUUID() + SUFFIX);
        RestoreIntent intent = new RestoreIntent(file, plan.stream().map(RestoreTarget::target).toList());
        intent.write(false);
        return intent;
    }

    /** Every image is whole beside its target: from here a crash finishes the restore rather than undoing it. */
    void copied() {
        write(true);
    }

    /** The restore ended (done, or undone in-process): the record goes. */
    void end() {
        Paths.deleteQuietly(file);
    }

    /** Whether a restore cut short left a record in the backup's directory. */
    public static boolean pendingIn(Path backupDirectory) {
        try {
            return !records(backupDirectory).isEmpty();
        } catch (IOException e) {
            return true; // let recover() say what is wrong with it
        }
    }

    private static List<Path> records(Path backupDirectory) throws IOException {
        try (Stream<Path> s = Files.list(backupDirectory)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && p.getFileName().toString().endsWith(SUFFIX))
                    .toList();
        }
    }

    /** Finishes or undoes every restore recorded in the backup's directory; returns what it did, for the log. */
    static List<String> recover(Path backupDirectory) throws IOException {
        List<String> done = new ArrayList<>();
        for (Path f : records(backupDirectory)) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            boolean copied = lines.contains("copied");
            List<Path> targets = lines.stream().filter(l -> l.startsWith("target ")).map(l -> Path.of(l.substring(7))).toList();
            for (Path target : targets) {
                Path temporary = RestoreTarget.temporaryOf(target);
                Path parked = RestoreTarget.parkedOf(target);
                if (copied) {
                    if (Files.exists(temporary)) {
                        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.deleteIfExists(parked);
                } else {
                    Files.deleteIfExists(temporary);
                    if (Files.exists(parked)) {
                        Files.move(parked, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Files.deleteIfExists(temporary.resolveSibling(temporary.getFileName() + ".log"));
            }
            new RestoreIntent(f, targets).end();
            done.add((copied ? "finished" : "undone") + " a restore of " + targets);
        }
        return done;
    }

    private void write(boolean copied) {
        StringBuilder text = new StringBuilder();
        targets.forEach(t -> text.append("target ").append(t).append('\n'));
        if (copied) {
            text.append("copied\n");
        }
        try {
            Paths.writeDurably(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the restore in " + file, e);
        }
    }
}
