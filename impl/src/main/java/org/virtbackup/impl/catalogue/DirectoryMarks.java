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
 * target nested in this one, a descriptor the file system could not show.
 */
public final class DirectoryMarks {

    static final String STARTING = ".starting";
    static final String DELETING = ".deleting";

    private DirectoryMarks() {
    }

    /** Marks a new backup's directory until its first descriptor is written. */
    public static void starting(Path directory, DomainRef domain) {
        write(directory.resolve(STARTING), domain);
    }

    /** The backup is recorded: its directory is the catalogue's now. */
    public static void started(Path directory) {
        Paths.deleteQuietly(directory.resolve(STARTING));
    }

    /** Marks a backup's directory before its descriptor is deleted, with all it holds. */
    public static void deleting(Path directory, DomainRef domain) {
        write(directory.resolve(DELETING), domain);
    }

    /** The domain whose backup a marked directory held, if it is marked. */
    public static Optional<UUID> markedFor(Path directory) {
        for (String mark : new String[] {DELETING, STARTING}) {
            Path file = directory.resolve(mark);
            try {
                if (Files.isRegularFile(file)) {
                    return Optional.of(UUID.fromString(Files.readString(file, StandardCharsets.UTF_8).strip()));
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
