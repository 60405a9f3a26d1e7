package org.virtbackup.impl.provider;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/** What every provider's {@code resume} shares. */
public final class Resumptions {

    private Resumptions() {
    }

    /**
     * A libvirtd that does not answer yet (a host starting, libvirtd restarting) fails no
     * resumption: recorded failed now, the backup's libvirt job (which libvirtd keeps across its
     * restart) would never be ended, and every later backup of the domain would meet it. Thrown
     * on, {@code LIBVIRT_ERROR} makes the resumer ask again for a minute.
     */
    public static void rethrowIfLibvirtIsAway(BackupException e) {
        if (e.code() == ErrorCode.LIBVIRT_ERROR) {
            throw e;
        }
    }
}
