package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;

/**
 * A restore under way, recorded durably in the restored backup's directory before its first
 * write: the files it writes. A restore cut short by a crash is finished or undone from it at the
 * next start, as a whole: once every image was copied ({@link #copied}) the restored images take
 * their places, and the backup's firmware state (NVRAM, TPM) is put back when the restore was to
 * put it back; before, every temporary goes and every disk moved aside comes back. So a domain's
 * disks and firmware are never from two moments, and no full-size temporary is left behind. A
 * restore into a new domain that was not defined yet is undone even once copied, its images
 * included (they are new files): else they would belong to nothing, and a retry under the same
 * name would be refused for them.
 */
public final class RestoreIntent {

    private static final String PREFIX = "restore-";
    private static final String SUFFIX = ".intent";

    private static final String FIRMWARE = "firmware";
    private static final String DOMAIN = "domain ";

    private final Path file;
    private final List<Path> targets;
    private final boolean firmware;
    private final String newDomain;

    private RestoreIntent(Path file, List<Path> targets, boolean firmware, String newDomain) {
        this.file = file;
        this.targets = targets;
        this.firmware = firmware;
        this.newDomain = newDomain;
    }

    /** What puts the restored backup's firmware state back, when a restore is finished at start. */
    interface FirmwareStep {
        void putBack() throws IOException;
    }

    /**
     * Records the restore's targets, before anything is written or moved.
     *
     * @param firmware whether the restore puts the backup's firmware state back after its disks
     * @param newDomain the name of the domain the restore defines on its images, or {@code null}
     */
    static RestoreIntent begin(Path backupDirectory, List<RestoreTarget> plan, boolean firmware, String newDomain) {
        Path file = backupDirectory.resolve(PREFIX + UUID.randomUUID() + SUFFIX);
        RestoreIntent intent = new RestoreIntent(file, plan.stream().map(RestoreTarget::target).toList(), firmware,
                newDomain);
        intent.write(false);
        return intent;
    }

    /** Every image is whole beside its target: from here a crash finishes the restore rather than undoing it. */
    void copied() {
        write(true);
    }

    /** The restore failed and is being undone in-process: a crash meanwhile is undone too, not finished. */
    void undoing() {
        write(false);
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

    /**
     * Finishes or undoes every restore recorded in the backup's directory; returns what it did, for
     * the log. A finished one puts the firmware back before its record goes: cut short again, it
     * is finished again.
     */
    static List<String> recover(Path backupDirectory, FirmwareStep firmware, Predicate<String> defined) throws IOException {
        List<String> done = new ArrayList<>();
        for (Path f : records(backupDirectory)) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            Optional<String> newDomain = lines.stream().filter(l -> l.startsWith(DOMAIN)).map(l -> l.substring(DOMAIN.length()))
                    .findFirst();
            // Copied for a new domain that was never defined: images nothing would use.
            boolean orphans = lines.contains("copied") && newDomain.isPresent() && !defined.test(newDomain.get());
            boolean copied = lines.contains("copied") && !orphans;
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
                    if (orphans) {
                        Files.deleteIfExists(target); // new files of a domain never defined: a retry makes them again
                    }
                    if (Files.exists(parked)) {
                        Files.move(parked, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Files.deleteIfExists(temporary.resolveSibling(temporary.getFileName() + ".log"));
            }
            boolean withFirmware = copied && lines.contains(FIRMWARE);
            if (withFirmware) {
                firmware.putBack();
            }
            Paths.deleteQuietly(f);
            done.add((copied ? "finished" : "undone") + " a restore of " + targets + (withFirmware ? " with its firmware" : "")
                    + (orphans ? " into new domain " + newDomain.get() + ", which was not defined yet" : ""));
        }
        return done;
    }

    private void write(boolean copied) {
        StringBuilder text = new StringBuilder();
        targets.forEach(t -> text.append("target ").append(t).append('\n'));
        if (firmware) {
            text.append(FIRMWARE).append('\n');
        }
        if (newDomain != null) {
            text.append(DOMAIN).append(newDomain).append('\n');
        }
        if (copied) {
            text.append("copied\n");
        }
        try {
            Paths.writeDurably(file, text.toString());
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot record the restore in " + file + ": " + e.getMessage(), e);
        }
    }
}
