package org.virtbackup.api;

import java.util.Objects;
import java.util.UUID;

/** A libvirt domain by name and UUID, as recorded when a backup was taken. */
public record DomainRef(String name, UUID uuid) {

    public DomainRef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
    }
}
