package org.virtbackup.impl.jobs;

import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** How a job's messages are put together: what went wrong, then what was left for the operator. */
public final class Messages {

    private Messages() {
    }

    /** The non-empty parts, in order, joined by "; " (nulls count as empty). */
    public static String joined(String... parts) {
        return Stream.of(parts).filter(Objects::nonNull).filter(p -> !p.isEmpty()).collect(Collectors.joining("; "));
    }
}
