package org.virtbackup.api;

/** Flags of {@link BackupService#getXmlDesc}. */
public enum XmlFlag {
    /** Leave out the domain XML kept with the backup. */
    NO_DOMAIN
}
