package org.virtbackup.shell;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The files of {@code --xml FILE}: read as UTF-8, with an error that says where they are not. */
final class XmlFiles {

    /** Far above what the service takes (xml.max.bytes, 1 MiB by default): only a mistake is bigger. */
    static final long MAX_BYTES = 16 << 20;

    private XmlFiles() {
    }

    static String read(String file) throws IOException {
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new IOException(file + " is not a regular file");
        }
        if (Files.size(path) > MAX_BYTES) {
            throw new IOException(file + " has " + Files.size(path) + " bytes; an XML argument has at most " + MAX_BYTES);
        }
        byte[] bytes = Files.readAllBytes(path);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = utf8.decode(in, out, true);
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                line += bytes[i] == '\n' ? 1 : 0;
            }
            throw new IOException(file + " is not valid UTF-8: byte 0x" + String.format("%02x", bytes[at] & 0xff)
                    + " at offset " + at + " (line " + line + ") is not part of any UTF-8 character");
        }
        utf8.flush(out);
        return out.flip().toString();
    }
}
