package org.virtbackup.impl.policy;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The domains a policy run is working on now, whichever policy: another run skips them. */
final class BusyDomains {

    private final Map<String, String> byDomain = new ConcurrentHashMap<>();

    /** Takes the domain for a policy, or says which policy holds it. */
    Optional<String> take(String domain, String policy) {
        String holder = byDomain.putIfAbsent(domain, policy);
        return Optional.ofNullable(holder);
    }

    void release(String domain) {
        byDomain.remove(domain);
    }
}
