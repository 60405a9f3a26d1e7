package org.virtbackup.impl.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** Real errors of the JVM: /dev/full fails every write with ENOSPC. */
class NoSpaceTest {

    @Test
    void aFullDevicesErrorIsNoSpaceAndAnotherErrorIsNot() throws Exception {
        IOException full = assertThrows(IOException.class, () -> Files.write(Path.of("/dev/full"), new byte[4096]));
        assertTrue(NoSpace.in(full.getMessage()), full.getMessage());
        // What the JVM says is the C library's text in its locale: the one asked through JNA.
        assertEquals(full.getMessage(), NoSpace.localText());

        Path dir = Files.createTempDirectory("nospace");
        try {
            IOException other = assertThrows(IOException.class, () -> Files.write(dir, new byte[1]));
            assertFalse(NoSpace.in(other.getMessage()), other.getMessage());
            assertFalse(NoSpace.in(null));
        } finally {
            Files.delete(dir);
        }
    }
}
