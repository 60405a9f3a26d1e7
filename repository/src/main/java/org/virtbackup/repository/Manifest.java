package org.virtbackup.repository;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One backup in a repository, and its catalogue entry: which domain, when, per disk the index
 * that names its chunks (by the index's digest, so a manifest commits to its indexes), and the
 * descriptor the service keeps with it (opaque here). Stored as {@code manifests/UUID}, written
 * after every index and chunk it names is durable.
 *
 * @param descriptor the service's record of the backup (its XML), kept as it is given
 */
public record Manifest(UUID backup, UUID domain, Instant created, List<Disk> disks, String descriptor) {

    private static final String HEADER = "virt-backup-manifest 1";

    /**
     * One disk: its name, its size, and its index: {@code chunks} ids of {@code chunkSize}
     * bytes each (the last one shorter when the size is not a multiple).
     */
    public record Disk(String name, long capacity, int chunkSize, int chunks, String indexDigest) {

        public Disk {
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("not a disk name: " + name);
            }
            if (chunks != chunkCount(capacity, chunkSize)) {
                throw new IllegalArgumentException("disk " + name + " of " + capacity + " bytes has "
                        + chunkCount(capacity, chunkSize) + " chunks of " + chunkSize + ", not " + chunks);
            }
        }

        /** How many chunks of this size a disk of this capacity has. */
        public static int chunkCount(long capacity, int chunkSize) {
            return Math.toIntExact((capacity + chunkSize - 1) / chunkSize);
        }
    }

    public Manifest {
        Objects.requireNonNull(backup, "backup");
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(created, "created");
        disks = List.copyOf(disks);
        descriptor = descriptor == null ? "" : descriptor;
    }

    /** The object this manifest is stored in. */
    public static String objectName(UUID backup) {
        return "manifests/" + backup;
    }

    /** The object holding the index of a backup's disk. */
    public static String indexName(UUID backup, String disk) {
        return "indexes/" + backup + "/" + disk;
    }

    public Disk disk(String name) {
        return disks.stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow(() -> new RepositoryException(
                RepositoryException.Problem.NOT_FOUND, "backup " + backup + " has no disk " + name));
    }

    byte[] toBytes() {
        StringBuilder s = new StringBuilder(HEADER).append('\n');
        s.append("backup ").append(backup).append('\n');
        s.append("domain ").append(domain).append('\n');
        s.append("created ").append(created.toEpochMilli()).append('\n');
        for (Disk d : disks) {
            s.append("disk ").append(d.name()).append(' ').append(d.capacity()).append(' ').append(d.chunkSize())
                    .append(' ').append(d.chunks()).append(' ').append(d.indexDigest()).append('\n');
        }
        byte[] text = descriptor.getBytes(StandardCharsets.UTF_8);
        s.append("descriptor ").append(text.length).append('\n');
        byte[] head = s.toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + text.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(text, 0, out, head.length, text.length);
        return out;
    }

    static Manifest parse(byte[] data, String name) {
        String all = new String(data, StandardCharsets.UTF_8);
        int mark = all.indexOf("\ndescriptor ");
        int end = mark < 0 ? -1 : all.indexOf('\n', mark + 1);
        if (mark < 0 || end < 0 || !all.startsWith(HEADER + "\n")) {
            throw Envelope.damaged(name, "it is not a manifest of this format");
        }
        try (BufferedReader r = new BufferedReader(new StringReader(all.substring(HEADER.length() + 1, mark + 1)))) {
            UUID backup = null;
            UUID domain = null;
            Instant created = null;
            List<Disk> disks = new ArrayList<>();
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "backup" -> backup = UUID.fromString(f[1]);
                    case "domain" -> domain = UUID.fromString(f[1]);
                    case "created" -> created = Instant.ofEpochMilli(Long.parseLong(f[1]));
                    case "disk" -> disks.add(new Disk(f[1], Long.parseLong(f[2]), Integer.parseInt(f[3]),
                            Integer.parseInt(f[4]), f[5]));
                    default -> throw new IllegalArgumentException("unknown line '" + f[0] + "'");
                }
            }
            String descriptor = all.substring(end + 1);
            if (descriptor.getBytes(StandardCharsets.UTF_8).length != Integer.parseInt(all.substring(mark + 12, end))) {
                throw new IllegalArgumentException("the descriptor is cut short");
            }
            return new Manifest(backup, domain, created, disks, descriptor);
        } catch (IOException | RuntimeException e) {
            throw Envelope.damaged(name, "its manifest cannot be read: " + e.getMessage());
        }
    }
}
