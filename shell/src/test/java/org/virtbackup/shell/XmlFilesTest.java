package org.virtbackup.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XmlFilesTest {

    @TempDir
    Path tmp;

    @Test
    void utf8IsReadWhole() throws IOException {
        Path f = Files.writeString(tmp.resolve("ok.xml"), "<domainbackup><description>Grüße ✓</description></domainbackup>");
        assertEquals(Files.readString(f), XmlFiles.read(f.toString()));
    }

    @Test
    void invalidUtf8IsNamedWithItsPlace() throws IOException {
        byte[] text = "<domainbackup>\n<description>caf\u00e9</description>".getBytes(StandardCharsets.ISO_8859_1);
        Path f = Files.write(tmp.resolve("latin1.xml"), text);
        IOException e = assertThrows(IOException.class, () -> XmlFiles.read(f.toString()));
        assertEquals(f + " is not valid UTF-8: byte 0xe9 at offset 31 (line 2) is not part of any UTF-8 character",
                e.getMessage());
    }

    @Test
    void devicesAndHugeFilesAreNotRead() throws IOException {
        assertEquals("/dev/zero is not a regular file", assertThrows(IOException.class, () -> XmlFiles.read("/dev/zero")).getMessage());
        Path huge = tmp.resolve("huge.xml");
        try (var ch = FileChannel.open(huge, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), XmlFiles.MAX_BYTES); // sparse
        }
        assertTrue(assertThrows(IOException.class, () -> XmlFiles.read(huge.toString())).getMessage().contains("at most"));
    }
}
