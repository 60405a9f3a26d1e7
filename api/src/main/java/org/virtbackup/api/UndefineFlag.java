package org.virtbackup.api;

/** Flags of {@link BackupService#undefineDomain}. */
public enum UndefineFlag {
    /** {@code VIR_DOMAIN_UNDEFINE_BACKUP}: also delete the domain's backups and checkpoints. */
    BACKUPS,
    /** Undefine the domain and keep its backups, which still restore to a new domain. */
    KEEP_BACKUPS
}
