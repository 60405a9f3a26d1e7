package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Supplier;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;

/**
 * Lets QEMU through directories that are otherwise root's alone. On a real host libvirt runs
 * QEMU as an unprivileged user (Debian: {@code libvirt-qemu}) and hands it each image while it
 * uses it ({@code dynamic_ownership}), but directories are not its business: QEMU can open a
 * scratch file, a push-mode target or a backing image only if it may pass through every
 * directory above it, and can listen on a socket only where it may create one. This gives
 * exactly that user exactly that, as a POSIX ACL entry ({@code setfacl}, from the acl package):
 * the directory's group and others keep nothing, and nothing is listed. Nothing is done when
 * QEMU runs as root.
 */
public final class QemuAccess {

    private final Supplier<OptionalInt> qemuUid;
    /** Runs getfacl or setfacl and returns what it printed. */
    private final Function<List<String>, String> programs;

    /** @param qemuUid the user QEMU runs as, asked each time (libvirt's {@code Libvirt::qemuUid}); empty: root */
    public QemuAccess(Supplier<OptionalInt> qemuUid) {
        this(qemuUid, QemuAccess::run);
    }

    /** For tests that count the programs run. */
    QemuAccess(Supplier<OptionalInt> qemuUid, Function<List<String>, String> programs) {
        this.qemuUid = qemuUid;
        this.programs = programs;
    }

    /** QEMU may pass through the directories to files it is named (x), and list nothing: one setfacl for all. */
    public void traverse(List<Path> dirs) {
        grant(dirs, "--x");
    }

    /** Takes back what {@link #traverse} or {@link #workDirectories} gave; the directory is its owner's alone again. */
    public void revoke(Path dir) {
        OptionalInt uid = qemuUid.get();
        if (uid.isPresent() && Files.isDirectory(dir)) {
            programs.apply(List.of("setfacl", "-x", "u:" + uid.getAsInt(), dir.toString()));
        }
    }

    /**
     * A directory the service keeps private data in (sockets, scratch files): created 0700, or,
     * if it exists, refused unless nobody but its owner (and QEMU, through an entry of ours) may
     * enter it. It is not chmod-ed: someone else made it, and may rely on its mode.
     *
     * @param key the configuration key naming it, for the error
     */
    public Path privateDirectory(Path dir, String key) {
        checkPrivate(new LinkedHashMap<>(Map.of(dir, key)), qemuUid);
        return dir;
    }

    /**
     * The directories a pull-mode job's QEMU works in, checked private and opened to QEMU's user:
     * it creates its NBD socket in the first and opens its scratch files in the second. They
     * outlive the job, so what a job before granted is usually there: one getfacl reads both,
     * and setfacl runs only where QEMU's entry is missing (each program costs a backup ~10 ms).
     */
    public void workDirectories(Path runtimeDirectory, Path scratchDirectory) {
        OptionalInt uid = qemuUid.get();
        Map<Path, String> keys = new LinkedHashMap<>();
        keys.put(runtimeDirectory, "runtime.directory");
        keys.putIfAbsent(scratchDirectory, "scratch.directory");
        Map<Path, String> wanted = new LinkedHashMap<>();
        wanted.put(runtimeDirectory, "-wx");
        wanted.putIfAbsent(scratchDirectory, "--x"); // one directory for both: -wx lets QEMU through too
        Map<Path, List<String>> entries = checkPrivate(keys, () -> uid);
        if (uid.isPresent()) {
            wanted.forEach((dir, permissions) -> {
                // The entry as getfacl prints it when the mask lets all of it through (else "#effective:" follows).
                if (!entries.get(dir).contains("user:" + uid.getAsInt() + ":" + permissions)) {
                    grant(uid, List.of(dir), permissions);
                }
            });
        }
    }

    /**
     * Creates the missing directories 0700 and refuses one that others may enter; returns each one's
     * named ACL entries (QEMU's, if it has one), read by one getfacl for all that have an ACL.
     */
    private Map<Path, List<String>> checkPrivate(Map<Path, String> keys, Supplier<OptionalInt> qemu) {
        Map<Path, List<String>> entries = new LinkedHashMap<>();
        List<Path> withAcl = new ArrayList<>();
        for (Map.Entry<Path, String> k : keys.entrySet()) {
            Path dir = k.getKey();
            entries.put(dir, List.of());
            if (!Files.isDirectory(dir)) {
                Paths.privateDirectory(dir);
                continue;
            }
            String bits;
            try {
                bits = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the mode of " + dir, e);
            }
            if (!bits.endsWith("---")) {
                throw openToOthers(dir, k.getValue(), bits);
            }
            if (!bits.substring(3, 6).equals("---")) {
                withAcl.add(dir); // group bits without a group entry of their own are an ACL's mask
            }
        }
        if (withAcl.isEmpty()) {
            return entries;
        }
        OptionalInt uid = qemu.get(); // asked only here: libvirt's capabilities are a call
        List<String> blocks = blocks(programs.apply(concat(List.of("getfacl", "--numeric", "--absolute-names"), withAcl)));
        if (blocks.size() != withAcl.size()) {
            throw new BackupException(ErrorCode.IO_ERROR, "getfacl printed " + blocks.size() + " ACLs for "
                    + withAcl.size() + " directories " + withAcl);
        }
        for (int i = 0; i < withAcl.size(); i++) {
            Path dir = withAcl.get(i);
            List<String> named = named(blocks.get(i));
            List<String> foreign = named.stream()
                    .filter(e -> uid.isEmpty() || !e.startsWith("user:" + uid.getAsInt() + ":")).toList();
            if (!foreign.isEmpty()) {
                throw openToOthers(dir, keys.get(dir), withAclBits(dir) + ", ACL " + String.join(" ", foreign));
            }
            entries.put(dir, named);
        }
        return entries;
    }

    private static BackupException openToOthers(Path dir, String key, String others) {
        return new BackupException(ErrorCode.INVALID_STATE, key + " " + dir + " is open to others (" + others
                + "); make it 0700 (chmod 700 " + dir + ") or point " + key
                + " at a directory of its own: it holds sockets and copies of guest data");
    }

    private static String withAclBits(Path dir) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(dir));
        } catch (IOException e) {
            return "mode unreadable";
        }
    }

    /** getfacl's output for several files: one block each, in the order named, blank lines between. */
    private static List<String> blocks(String out) {
        return Arrays.stream(out.split("\n\\s*\n")).filter(b -> !b.isBlank()).toList();
    }

    /** The named user and group entries of one ACL (the owner's, the group's if empty, mask, others and defaults left out). */
    private static List<String> named(String block) {
        List<String> named = new ArrayList<>();
        for (String line : block.split("\n")) {
            String e = line.strip();
            if (e.isEmpty() || e.startsWith("#") || e.startsWith("user::") || e.startsWith("mask::")
                    || e.startsWith("other::") || e.equals("group::---") || e.startsWith("default:")) {
                continue;
            }
            named.add(e);
        }
        return named;
    }

    private static List<String> concat(List<String> head, List<Path> dirs) {
        List<String> all = new ArrayList<>(head);
        dirs.forEach(d -> all.add(d.toString()));
        return all;
    }

    private void grant(List<Path> dirs, String permissions) {
        grant(qemuUid.get(), dirs, permissions);
    }

    private void grant(OptionalInt uid, List<Path> dirs, String permissions) {
        if (uid.isPresent() && !dirs.isEmpty()) {
            programs.apply(concat(List.of("setfacl", "-m", "u:" + uid.getAsInt() + ":" + permissions), dirs));
        }
    }

    static String run(List<String> command) {
        try {
            Process p = HostProcesses.builder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BackupException(ErrorCode.IO_ERROR, String.join(" ", command) + " failed: " + out.strip()
                        + " (QEMU runs as another user than root and must pass through this directory: the file system "
                        + "must support POSIX ACLs)");
            }
            return out;
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + command.get(0) + " (package acl): " + e.getMessage()
                    + "; QEMU runs as another user than root and must be let through " + command.get(command.size() - 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while running " + command.get(0));
        }
    }
}
