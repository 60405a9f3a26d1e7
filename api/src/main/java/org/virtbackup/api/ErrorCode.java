package org.virtbackup.api;

/** Machine-readable reason of a {@link BackupException}. */
public enum ErrorCode {
    /** The XML is not well-formed, breaks the schema, or carries a DTD or entity. */
    INVALID_XML,
    /** An argument is missing or out of range. */
    INVALID_ARGUMENT,
    /** No such domain in libvirt. */
    NO_DOMAIN,
    /** The domain has no disk of that name, or the backup does not hold it. */
    NO_DISK,
    /** No backup with that UUID in the catalogue. */
    NO_BACKUP,
    /** The domain already has a backup job running. */
    DOMAIN_BUSY,
    /** The operation needs a backup or domain in another state. */
    INVALID_STATE,
    /** The backup has children and no flag says what to do with them. */
    HAS_CHILDREN,
    /** The parent's checkpoint or bitmap cannot serve an incremental backup (and the caller forbade a fallback). */
    CHAIN_BROKEN,
    /** A path is outside the configured roots or otherwise unusable. */
    INVALID_TARGET,
    /** Not enough free space in the target. */
    NO_SPACE,
    /** The operation is not supported by this version or configuration. */
    NOT_SUPPORTED,
    /** No provider is registered for the operation (the implementation is being replaced). */
    NO_PROVIDER,
    /** libvirt refused or failed the call. */
    LIBVIRT_ERROR,
    /** Reading or writing backup data failed. */
    IO_ERROR
}
