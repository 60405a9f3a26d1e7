package org.virtbackup.impl.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.config.Paths;

/** Whether a directory may be a domain's target: the global target's root or inside {@code target.roots}. */
final class DirectoryCheck {

    private final Path globalRoot;
    private final List<Path> roots;

    DirectoryCheck(Path globalRoot, List<Path> roots) {
        this.globalRoot = globalRoot;
        this.roots = List.copyOf(roots);
    }

    /**
     * A directory target: inside the roots on its real path (a symlink in a root leads nowhere
     * else), writable; created (0700) unless {@code create} is false, when its nearest existing
     * parent must be writable instead. A directory that exists keeps its mode.
     */
    Path check(String path, boolean create) {
        if (path == null || path.isBlank() || !Path.of(path).isAbsolute()) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "a target directory must be an absolute path, not '" + path + "'");
        }
        Path asked = Path.of(path).normalize();
        List<Path> allowed = new ArrayList<>(roots);
        allowed.add(globalRoot);
        try {
            Path dir = Paths.realInside(asked, allowed).orElseThrow(() -> new BackupException(ErrorCode.INVALID_TARGET,
                    asked + " is outside the allowed target roots " + roots + " (configuration key target.roots; "
                            + "symlinks are followed)"));
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new BackupException(ErrorCode.INVALID_TARGET, dir + " exists and is not a directory");
            }
            if (!create && !Files.exists(dir)) {
                Path parent = dir;
                while (!Files.exists(parent)) {
                    parent = parent.getParent();
                }
                if (!Files.isDirectory(parent) || !Files.isWritable(parent)) {
                    throw new BackupException(ErrorCode.INVALID_TARGET, "cannot write in " + parent + " to create " + dir);
                }
                return dir;
            }
            Paths.privateDirectory(dir);
            Path probe = Files.createTempFile(dir, ".write-check", "");
            Files.delete(probe);
            return dir;
        } catch (IOException | UncheckedIOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot write in " + asked + ": " + e.getMessage(), e);
        }
    }

    /** Bytes free where a directory is, or would be made (checked but not made yet: VALIDATE_ONLY). */
    static long usableSpace(String target, Path dir) {
        try {
            while (!Files.exists(dir) && dir.getParent() != null) {
                dir = dir.getParent();
            }
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read the free space of " + target + ": "
                    + e.getMessage(), e);
        }
    }
}
