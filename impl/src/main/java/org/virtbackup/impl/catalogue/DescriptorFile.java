package org.virtbackup.impl.catalogue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

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
        try {
            Paths.writeDurably(in(directory), xml);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write descriptor " + in(directory), e);
        }
    }

    static String read(Path directory) throws IOException {
        return Files.readString(in(directory), StandardCharsets.UTF_8);
    }
}
