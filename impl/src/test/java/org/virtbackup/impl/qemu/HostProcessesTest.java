package org.virtbackup.impl.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** A real shell started the way every host program is. */
class HostProcessesTest {

    @Test
    void aProgramRunsUntranslatedAndFindsNothingToRead() throws Exception {
        // cat would wait on an open pipe for ever; on /dev/null it ends at once.
        Process p = HostProcesses.builder(List.of("sh", "-c", "echo \"$LC_ALL\"; cat; echo read-all"))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the program waited for input");
        assertEquals("C.UTF-8\nread-all\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void languageWhichGettextPrefersToLcAllIsDropped() {
        Map<String, String> karafs = new HashMap<>(Map.of("LANGUAGE", "de:en", "LC_ALL", "de_DE.UTF-8", "PATH", "/usr/bin"));
        assertEquals(Map.of("LC_ALL", "C.UTF-8", "PATH", "/usr/bin"), HostProcesses.untranslated(karafs));
    }
}
