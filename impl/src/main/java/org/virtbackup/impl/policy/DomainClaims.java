package org.virtbackup.impl.policy;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The domains policy runs have queued or are working on, whichever policy: a run claims its
 * domains when it begins and lets each go when done with it, so another run (an overlapping one of
 * the same policy, or another policy's) skips them instead of backing them up twice.
 */
final class DomainClaims {

    private final Map<String, String> holders = new ConcurrentHashMap<>();

    /** Claims the domain for a run; empty if it got it, else the run holding it. */
    Optional<String> claim(String domain, String run) {
        String holder = holders.putIfAbsent(domain, run);
        return holder == null || holder.equals(run) ? Optional.empty() : Optional.of(holder);
    }

    void release(String domain, String run) {
        holders.remove(domain, run);
    }
}
