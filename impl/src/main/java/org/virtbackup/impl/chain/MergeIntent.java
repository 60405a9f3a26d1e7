package org.virtbackup.impl.chain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.virtbackup.impl.config.Paths;

/**
 * A merge under way, recorded in the merged backup's directory ({@value #NAME}) and on disk
 * before the first child is rebased: the children it moves and the backup they move onto. A
 * merge cut short (a crash, a failed rebase) is found by it and reconciled: each child's
 * descriptor then names the parent its images really back onto.
 *
 * @param grandparent the backup the children move onto, {@code null}: none (they become full)
 * @param children the merged backup's children when the merge began
 */
public record MergeIntent(Path directory, UUID grandparent, List<UUID> children) {

    static final String NAME = "merge-intent";

    /** Records the intent durably, before anything of the merge happens. */
    static MergeIntent begin(Path directory, UUID grandparent, List<UUID> children) {
        StringBuilder text = new StringBuilder("grandparent ").append(grandparent == null ? "-" : grandparent).append('\n');
        children.forEach(c -> text.append("child ").append(c).append('\n'));
        try {
            Paths.writeDurably(directory.resolve(NAME), text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the merge in " + directory, e);
        }
        return new MergeIntent(directory, grandparent, List.copyOf(children));
    }

    /** Whether a merge cut short left its record in the backup's directory. */
    public static boolean pendingIn(Path directory) {
        return Files.exists(directory.resolve(NAME));
    }

    /** The intent left in a backup's directory by a merge that did not end, if any. */
    static Optional<MergeIntent> in(Path directory) {
        Path file = directory.resolve(NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            UUID grandparent = null;
            List<UUID> children = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] kv = line.strip().split(" ", 2);
                if (kv.length == 2 && kv[0].equals("grandparent") && !kv[1].equals("-")) {
                    grandparent = UUID.fromString(kv[1]);
                } else if (kv.length == 2 && kv[0].equals("child")) {
                    children.add(UUID.fromString(kv[1]));
                }
            }
            return Optional.of(new MergeIntent(directory, grandparent, children));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("unreadable merge record " + file + ": " + e.getMessage(), e);
        }
    }

    /** The merge has ended (or was reconciled): the record goes. */
    void end() {
        Paths.deleteQuietly(directory.resolve(NAME));
    }
}
