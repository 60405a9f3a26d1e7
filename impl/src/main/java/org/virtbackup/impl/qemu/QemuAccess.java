package org.virtbackup.impl.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
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

    /** @param qemuUid the user QEMU runs as, asked each time (libvirt's {@code Libvirt::qemuUid}); empty: root */
    public QemuAccess(Supplier<OptionalInt> qemuUid) {
        this.qemuUid = qemuUid;
    }

    /** QEMU may pass through the directories to files it is named (x), and list nothing: one setfacl for all. */
    public void traverse(List<Path> dirs) {
        grant(dirs, "--x");
    }

    /** QEMU may create files in the directory, such as its NBD server's socket (wx), and list nothing. */
    public void enter(Path dir) {
        grant(List.of(dir), "-wx");
    }

    /** Takes back what {@link #traverse} or {@link #enter} gave; the directory is its owner's alone again. */
    public void revoke(Path dir) {
        OptionalInt uid = qemuUid.get();
        if (uid.isPresent() && Files.isDirectory(dir)) {
            run("setfacl", "-x", "u:" + uid.getAsInt(), dir.toString());
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
        if (!Files.isDirectory(dir)) {
            return Paths.privateDirectory(dir);
        }
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the mode of " + dir, e);
        }
        String others = otherThanOwnerAndQemu(dir, mode);
        if (others != null) {
            throw new BackupException(ErrorCode.INVALID_STATE, key + " " + dir + " is open to others (" + others
                    + "); make it 0700 (chmod 700 " + dir + ") or point " + key
                    + " at a directory of its own: it holds sockets and copies of guest data");
        }
        return dir;
    }

    /**
     * The directories a pull-mode job's QEMU works in, checked private and opened to QEMU's user:
     * it creates its NBD socket in the first and opens its scratch files in the second.
     */
    public void workDirectories(Path runtimeDirectory, Path scratchDirectory) {
        enter(privateDirectory(runtimeDirectory, "runtime.directory"));
        traverse(List.of(privateDirectory(scratchDirectory, "scratch.directory")));
    }

    /** Who else than the owner and QEMU may enter the directory, or {@code null}. */
    private String otherThanOwnerAndQemu(Path dir, Set<PosixFilePermission> mode) {
        String bits = PosixFilePermissions.toString(mode);
        if (!bits.endsWith("---")) {
            return bits;
        }
        if (bits.substring(3, 6).equals("---")) {
            return null;
        }
        // Group bits without a group entry of their own are an ACL's mask: ask who the ACL names.
        OptionalInt uid = qemuUid.get();
        List<String> foreign = new ArrayList<>();
        for (String entry : run("getfacl", "--omit-header", "--numeric", "--absolute-names", dir.toString()).split("\n")) {
            String e = entry.strip();
            if (e.isEmpty() || e.startsWith("user::") || e.startsWith("mask::") || e.startsWith("other::")
                    || e.equals("group::---") || e.startsWith("default:")) {
                continue;
            }
            if (uid.isPresent() && e.startsWith("user:" + uid.getAsInt() + ":")) {
                continue;
            }
            foreign.add(e);
        }
        return foreign.isEmpty() ? null : bits + ", ACL " + String.join(" ", foreign);
    }

    private void grant(List<Path> dirs, String permissions) {
        OptionalInt uid = qemuUid.get();
        if (uid.isPresent() && !dirs.isEmpty()) {
            List<String> command = new ArrayList<>(List.of("setfacl", "-m", "u:" + uid.getAsInt() + ":" + permissions));
            dirs.forEach(d -> command.add(d.toString()));
            run(command.toArray(new String[0]));
        }
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new BackupException(ErrorCode.IO_ERROR, String.join(" ", command) + " failed: " + out.strip()
                        + " (QEMU runs as another user than root and must pass through this directory: the file system "
                        + "must support POSIX ACLs)");
            }
            return out;
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot run " + command[0] + " (package acl): " + e.getMessage()
                    + "; QEMU runs as another user than root and must be let through " + command[command.length - 1]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackupException(ErrorCode.IO_ERROR, "interrupted while running " + command[0]);
        }
    }
}
