package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.files.GuestFile;

/**
 * Paths inside a mounted guest file system, walked without following the guest's links: a link's
 * target names a place in the guest, and on the host it would lead anywhere.
 */
final class GuestTree {

    private GuestTree() {
    }

    /** The parts of a path given by a user: {@code /} separated, never {@code .} or {@code ..}. */
    static List<String> parts(String path) {
        if (path == null) {
            return List.of();
        }
        List<String> parts = Arrays.stream(path.split("/")).filter(p -> !p.isEmpty()).toList();
        for (String p : parts) {
            if (p.equals(".") || p.equals("..") || p.indexOf('\0') >= 0) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "'" + path + "' is no path inside a disk: "
                        + "name each directory from the root, without '.' or '..'");
            }
        }
        return parts;
    }

    /**
     * The file at the parts below the root: each must exist, and each but the last must be a
     * directory (a link on the way is refused, naming its target).
     *
     * @param shown how the root is named in an error ({@code vda p1})
     */
    static Path resolve(Path root, List<String> parts, String shown) {
        Path p = root;
        StringBuilder walked = new StringBuilder(shown);
        for (int i = 0; i < parts.size(); i++) {
            p = p.resolve(parts.get(i));
            walked.append('/').append(GuestFile.printable(parts.get(i)));
            BasicFileAttributes a = attributes(p, walked);
            if (i < parts.size() - 1 && !a.isDirectory()) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, walked + (a.isSymbolicLink()
                        ? " is a link to " + GuestFile.printable(linkTarget(p)) + ", not followed: give the path of what it names"
                        : " is not a directory"));
            }
        }
        return p;
    }

    /**
     * The most entries a listing returns: a guest's directory of millions of files would fill the
     * service's heap (hundreds of bytes an entry); such a one is extracted, not listed.
     */
    static final int MAX_LISTED = 100_000;

    /** A directory's entries sorted by name, or the one entry of a file. */
    static List<GuestFile> list(Path p) {
        return list(p, MAX_LISTED);
    }

    static List<GuestFile> list(Path p, int max) {
        try {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return List.of(entry(p));
            }
            List<GuestFile> entries = new ArrayList<>();
            try (DirectoryStream<Path> children = Files.newDirectoryStream(p)) {
                for (Path c : children) {
                    if (entries.size() == max) {
                        // Its name as the mount shows it would mislead (a disk's root is a work directory): the caller's path says which.
                        throw new BackupException(ErrorCode.INVALID_ARGUMENT, "the directory holds more than " + max
                                + " entries, more than a listing returns: list a directory below it, or extract it");
                    }
                    entries.add(entry(c));
                }
            }
            entries.sort(Comparator.comparing(GuestFile::name));
            return entries;
        } catch (IOException | DirectoryIteratorException e) { // the latter: a damaged directory, read midway
            throw new BackupException(ErrorCode.IO_ERROR, "cannot list " + GuestFile.printable(String.valueOf(p.getFileName())) + ": "
                    + GuestFile.printable(e.getMessage()));
        }
    }

    static GuestFile entry(Path p) throws IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        GuestFile.Type type = a.isRegularFile() ? GuestFile.Type.FILE : a.isDirectory() ? GuestFile.Type.DIRECTORY
                : a.isSymbolicLink() ? GuestFile.Type.LINK : GuestFile.Type.OTHER;
        return new GuestFile(p.getFileName().toString(), type, a.size(), a.lastModifiedTime().toInstant(),
                a.isSymbolicLink() ? linkTarget(p) : null);
    }

    private static BasicFileAttributes attributes(Path p, CharSequence shown) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "there is no " + shown);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read " + shown + ": " + GuestFile.printable(e.getMessage()));
        }
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
        }
    }
}
