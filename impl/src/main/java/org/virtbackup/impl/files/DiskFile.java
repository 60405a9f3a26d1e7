package org.virtbackup.impl.files;

import java.nio.file.Path;

/** A backed-up disk readable (and writable, to a throw-away copy) as one raw file, for as long as it is open. */
interface DiskFile extends AutoCloseable {

    Path file();

    @Override
    void close();
}
