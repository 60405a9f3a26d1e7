package org.virtbackup.impl.storage;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Whether an error message says a file system is full (ENOSPC), in any locale. The JVM's own I/O
 * errors carry the C library's text in the locale the JVM took from the environment at its start
 * (a German host says "Auf dem Gerät ist kein Speicherplatz mehr verfügbar"); the programs the
 * service starts run in C.UTF-8 and say it in English. Both are matched, the first as the C
 * library ({@code strerror}, through JNA) gives it now.
 */
public final class NoSpace {

    /** The English text: the C locale's, which every program started through HostProcesses prints. */
    private static final String TEXT = "No space left on device";

    /** ENOSPC, the same on every Linux architecture. */
    private static final int ENOSPC = 28;

    interface CLibrary extends Library {
        String strerror(int errnum);
    }

    private NoSpace() {
    }

    /** Whether the message holds ENOSPC's text, in English or in the JVM's locale. */
    public static boolean in(String message) {
        if (message == null) {
            return false;
        }
        if (message.contains(TEXT)) {
            return true;
        }
        String local = localText();
        return !local.isBlank() && message.contains(local);
    }

    /** ENOSPC's text in the process's locale; asked only when a failure is reported, so it is not kept. */
    static String localText() {
        try {
            String text = Native.load("c", CLibrary.class).strerror(ENOSPC);
            return text == null ? "" : text;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "";
        }
    }
}
