package org.virtbackup.impl.catalogue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;

/**
 * The evidence that a backup directory without a descriptor is ours to remove: a mark written,
 * and synced, while a start has not yet recorded its backup ({@value #STARTING}), and before a
 * deletion removes its descriptor ({@value #DELETING}). A directory without a descriptor and
 * without a mark is kept whatever it looks like: a backup forgotten with METADATA_ONLY, another
 * target nested in this one, a descriptor the file system could not show. A mark beside a
 * descriptor is stale (the step it marked did not go on) and is cleared, so that forgetting the
 * backup later never turns it into evidence.
 */
public final class DirectoryMarks {

    static final String STARTING = ".starting";
    static final String DELETING = ".deleting";

    /**
     * A mark found in a directory.
     *
     * @param domain the domain whose backup the directory holds
     * @param deleting a deletion's mark (its checkpoint may remain), not a start's (none was made)
     */
    public record Mark(UUID domain, boolean deleting) {
    }

    private DirectoryMarks() {
    }

    /** Marks a new backup's directory until its first descriptor is written. */
    public static void starting(Path directory, DomainRef domain) {
        write(directory.resolve(STARTING), domain);
    }

    /** Marks a backup's directory before its descriptor is deleted, with all it holds. */
    public static void deleting(Path directory, DomainRef domain) {
        write(directory.resolve(DELETING), domain);
    }

    /** Takes the marks away, durably: the backup is recorded, or stays recorded, or is forgotten on purpose. */
    public static void clear(Path directory) {
        try {
            boolean removed = Files.deleteIfExists(directory.resolve(STARTING));
            removed |= Files.deleteIfExists(directory.resolve(DELETING));
            if (removed) {
                Paths.syncDirectory(directory);
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot clear the marks in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Whether a file of a backup's directory is one of these marks (removed last with the directory). */
    public static boolean isMark(Path file) {
        String name = file.getFileName().toString();
        return name.equals(STARTING) || name.equals(DELETING);
    }

    /** The mark in a directory, if one can be read. */
    public static Optional<Mark> in(Path directory) {
        for (String mark : new String[] {DELETING, STARTING}) {
            Path file = directory.resolve(mark);
            try {
                if (Files.isRegularFile(file)) {
                    return Optional.of(new Mark(UUID.fromString(Files.readString(file, StandardCharsets.UTF_8).strip()),
                            mark.equals(DELETING)));
                }
            } catch (IOException | IllegalArgumentException e) {
                return Optional.empty(); // unreadable evidence is no evidence: the directory stays
            }
        }
        return Optional.empty();
    }

    private static void write(Path file, DomainRef domain) {
        try {
            Paths.writeDurably(file, domain.uuid() + "\n");
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
