package org.virtbackup.impl.restore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * The targets the restores of this service are writing now. The domain's lock does not keep them
 * apart: two restores that need only a read lock (into files or a new domain) must never write
 * one file, nor share its temporary.
 */
final class RestoreClaims {

    private final Set<Path> writing = ConcurrentHashMap.newKeySet();

    /** One restore's targets, theirs until it closes. */
    interface Claim extends AutoCloseable {
        @Override
        void close();
    }

    /** Claims the plan's targets for one restore, or refuses naming the one another restore writes. */
    Claim claim(List<RestoreTarget> plan) {
        List<Path> claimed = new ArrayList<>();
        for (RestoreTarget t : plan) {
            if (!writing.add(t.target())) {
                writing.removeAll(claimed);
                throw new BackupException(ErrorCode.DOMAIN_BUSY, "another restore is writing " + t.target()
                        + " now; wait for it, or restore to another file");
            }
            claimed.add(t.target());
        }
        return () -> writing.removeAll(claimed);
    }
}
