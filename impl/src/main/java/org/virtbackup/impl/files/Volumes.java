package org.virtbackup.impl.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/** Finds the volumes of a disk file: blkid for a partition table and for what each part holds, partx for the partitions. */
final class Volumes {

    /** The MBR types of extended partitions, containers of logical ones. */
    private static final Set<String> EXTENDED = Set.of("0x5", "0xf", "0x85");
    /** libblkid (partx) counts in 512-byte sectors, whatever the disk's: a 4Kn GPT disk is not found. */
    private static final long SECTOR = 512;

    private Volumes() {
    }

    static List<Volume> of(Path file, long capacity) {
        Map<String, String> whole = probe(file, 0, capacity);
        if (!whole.containsKey("PTTYPE")) {
            return List.of(new Volume("", 0, capacity, whole.get("TYPE")));
        }
        List<Volume> volumes = new ArrayList<>();
        String out = HostCommand.run("partx", "--show", "--noheadings", "--output", "NR,START,SECTORS,TYPE",
                file.toString());
        for (String line : out.strip().split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length != 4 || EXTENDED.contains(f[3])) {
                continue; // an extended partition holds logical ones (p5 …), listed themselves
            }
            try {
                long offset = Long.parseLong(f[1]) * SECTOR;
                long size = Long.parseLong(f[2]) * SECTOR;
                volumes.add(new Volume("p" + f[0], offset, size, typeAt(file, offset, size)));
            } catch (NumberFormatException e) {
                throw new BackupException(ErrorCode.IO_ERROR, "partx listed '" + line.strip() + "' for " + file);
            }
        }
        return volumes;
    }

    /** What a partition holds; {@code null} when blkid cannot tell (that partition alone is then unread). */
    private static String typeAt(Path file, long offset, long size) {
        try {
            return probe(file, offset, size).get("TYPE");
        } catch (BackupException e) {
            return null;
        }
    }

    /** What blkid's low-level probe finds at the offset: its tags, none when it finds nothing (exit 2). */
    private static Map<String, String> probe(Path file, long offset, long size) {
        HostCommand.Result r = HostCommand.attempt("blkid", "--probe", "--output", "export", "--offset",
                Long.toString(offset), "--size", Long.toString(size), file.toString());
        Map<String, String> tags = new HashMap<>();
        if (r.exit() == 2) {
            return tags;
        }
        if (r.exit() != 0) {
            throw new BackupException(ErrorCode.IO_ERROR, "blkid cannot probe " + file + " at " + offset + ": "
                    + r.said());
        }
        for (String line : r.output().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                tags.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return tags;
    }
}
