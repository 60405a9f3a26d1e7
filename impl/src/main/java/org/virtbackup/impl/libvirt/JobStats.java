package org.virtbackup.impl.libvirt;

import java.util.Map;

/**
 * libvirt's statistics of a domain job ({@code virDomainGetJobStats}).
 *
 * @param type {@code VIR_DOMAIN_JOB_*}: 0 none, 3 completed, ...
 * @param fields the typed parameters, as text
 */
public record JobStats(int type, Map<String, String> fields) {

    public static final int NONE = 0;
    public static final int COMPLETED = 3;

    public JobStats {
        fields = Map.copyOf(fields);
    }

    public boolean isNone() {
        return type == NONE;
    }

    public boolean isCompleted() {
        return type == COMPLETED;
    }

    /** A numeric field, 0 when absent. */
    public long value(String field) {
        try {
            return Long.parseLong(text(field));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A field as text, empty when absent. */
    public String text(String field) {
        return fields.getOrDefault(field, "");
    }
}
