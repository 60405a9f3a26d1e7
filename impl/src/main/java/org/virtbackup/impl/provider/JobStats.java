package org.virtbackup.impl.provider;

import org.libvirt.DomainJobStats;
import org.libvirt.TypedParameter;

/** Reads fields of libvirt's job statistics ({@code virDomainGetJobStats}). */
final class JobStats {

    private JobStats() {
    }

    /** A numeric field, 0 when absent. */
    static long value(DomainJobStats stats, String field) {
        String v = text(stats, field);
        try {
            return v.isEmpty() ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A field as text, empty when absent. */
    static String text(DomainJobStats stats, String field) {
        if (stats == null || stats.stats == null) {
            return "";
        }
        for (TypedParameter p : stats.stats) {
            if (field.equals(p.field)) {
                return p.getValueAsString();
            }
        }
        return "";
    }
}
