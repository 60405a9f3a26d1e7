package org.virtbackup.api;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What a caller asks of {@link BackupService#restore(RestoreRequest, java.util.Set)}: the typed
 * form of the restore {@code <domainbackup>}.
 *
 * @param backup the backup point to restore
 * @param domainName with {@link RestoreFlag#NEW_DOMAIN}: the new domain's name; {@code null} for
 *        {@code <old name>-restored-<id>}
 * @param disks the disks to restore, each optionally with its image file; empty means every disk
 *        of the backup, each where it goes by default
 * @since 1.3
 */
public record RestoreRequest(UUID backup, String domainName, List<Disk> disks) {

    /** Names as domainbackup.xsd allows them (1 to 255 characters, no '/', no white space), and no control characters. */
    private static final Pattern NAME = Pattern.compile("[^/\\s\\p{Cntrl}]{1,255}");

    /** @throws BackupException {@code INVALID_ARGUMENT} for what the restore XML's schema would refuse */
    public RestoreRequest {
        if (backup == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "the restore request names no backup");
        }
        if (domainName != null && !NAME.matcher(domainName).matches()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "'" + domainName + "' is no domain name: 1 to 255 "
                    + "characters, no '/', no white space and no control characters");
        }
        disks = disks == null ? List.of() : List.copyOf(disks);
        Set<String> seen = new HashSet<>();
        for (Disk d : disks) {
            if (!seen.add(d.name())) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk '" + d.name() + "' is named twice");
            }
        }
    }

    /** Every disk of the backup, each where it goes by default. */
    public static RestoreRequest of(UUID backup) {
        return new RestoreRequest(backup, null, List.of());
    }

    /**
     * One disk to restore.
     *
     * @param name the disk's name in the backup ({@code vda})
     * @param file the image to write, inside the configured restore roots; {@code null} for the
     *        default place (see the README)
     */
    public record Disk(String name, String file) {

        public Disk {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "'" + name + "' is no disk name");
            }
            if (file != null && !file.startsWith("/")) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + name + ": '" + file
                        + "' is not an absolute path");
            }
        }
    }
}
