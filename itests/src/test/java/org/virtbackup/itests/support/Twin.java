package org.virtbackup.itests.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A running guest's disk 0 and an offline image that receives the same writes: what a backup taken now must equal. */
public final class Twin {

    private final Guest guest;
    private final Path expected;
    private int snapshots;

    public Twin(Guest guest, long size) {
        this.guest = guest;
        this.expected = Images.create(guest.workDir().resolve("expected.qcow2"), size);
    }

    /** Writes a pattern into the guest's disk and into the offline image. */
    public void write(int pattern, long offset, long length) throws Exception {
        guest.write(0, pattern, offset, length);
        Images.write(expected, pattern, offset, length);
    }

    /** A copy of the expected image as it is now: what a backup taken now must equal. */
    public Path snapshot() throws Exception {
        return Files.copy(expected, guest.workDir().resolve("expected-" + snapshots++ + ".qcow2"),
                StandardCopyOption.REPLACE_EXISTING);
    }
}
