package org.virtbackup.impl.catalogue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.virtbackup.impl.config.Paths;

/**
 * The descriptor file of one backup, {@value #NAME} in the backup's directory. Written whole or
 * not at all: temp file, fsync, rename, fsync of the directory, so a crash leaves the old or the
 * new descriptor, never a torn one.
 */
final class DescriptorFile {

    static final String NAME = "backup.xml";

    private DescriptorFile() {
    }

    static Path in(Path directory) {
        return directory.resolve(NAME);
    }

    static void write(Path directory, String xml) {
        Path target = in(directory);
        Path temp = directory.resolve("." + NAME + ".tmp");
        try {
            Files.deleteIfExists(temp);
            try (FileChannel ch = FileChannel.open(temp, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_FILE))) {
                ByteBuffer buffer = ByteBuffer.wrap(xml.getBytes(StandardCharsets.UTF_8));
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write descriptor " + target, e);
        }
    }

    static String read(Path directory) throws IOException {
        return Files.readString(in(directory), StandardCharsets.UTF_8);
    }
}
