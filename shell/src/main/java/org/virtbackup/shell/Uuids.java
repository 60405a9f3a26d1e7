package org.virtbackup.shell;

import java.util.UUID;

/** Backup UUIDs typed by an operator (Karaf's argument converter knows no UUID). */
final class Uuids {

    private Uuids() {
    }

    static UUID parse(String text) {
        try {
            return UUID.fromString(text.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a backup UUID: '" + text + "'");
        }
    }
}
