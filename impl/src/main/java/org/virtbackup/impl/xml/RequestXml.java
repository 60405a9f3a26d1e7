package org.virtbackup.impl.xml;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.RestoreRequest;

/** The XML arguments of the proposal's functions, read into the typed requests of the API. */
public final class RequestXml {

    private final BackupXml xml;
    private final InputLimits limits;

    public RequestXml(BackupXml xml, InputLimits limits) {
        this.xml = xml;
        this.limits = limits;
    }

    /** The input of {@code create}. */
    public BackupRequest backup(String backupXml) {
        return request(backupXml, ErrorCode.NOT_SUPPORTED, "per-disk <target> files are not supported yet; backups "
                + "go to the default target directory");
    }

    /** The input of {@code startUnmanaged}. */
    public BackupRequest export(String backupXml) {
        return request(backupXml, ErrorCode.INVALID_ARGUMENT, "an unmanaged backup stores nothing, so its disks take "
                + "no <target>; a third party reads the NBD export");
    }

    /** A backup request whose disks name no target file (else {@code code}, saying {@code why}). */
    private BackupRequest request(String backupXml, ErrorCode code, String why) {
        limits.requireXmlSize("the backup XML", backupXml);
        BackupDocument doc = xml.parseRequest(backupXml);
        doc.disks().stream().filter(d -> d.file() != null).findFirst().ifPresent(d -> {
            throw new BackupException(code, "disk " + d.name() + ": " + why);
        });
        return doc.toRequest();
    }

    /** The input of {@code restore}. */
    public RestoreRequest restore(String restoreXml) {
        limits.requireXmlSize("the restore XML", restoreXml);
        BackupDocument doc = xml.parseRequest(restoreXml);
        if (doc.uuid() == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "the restore XML names no backup: <uuid> is missing");
        }
        return doc.toRestoreRequest();
    }

    /** The input of {@code setDefaultTarget}: none or blank is the global target. */
    public BackupTarget target(String targetXml) {
        limits.requireXmlSize("the target XML", targetXml);
        return targetXml == null || targetXml.isBlank() ? BackupTarget.global() : TargetXml.parse(targetXml);
    }
}
