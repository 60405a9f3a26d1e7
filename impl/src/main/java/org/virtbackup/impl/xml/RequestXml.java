package org.virtbackup.impl.xml;

import java.util.UUID;
import java.util.function.Function;

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

    /**
     * The input of {@code create}, in our dialect or libvirt's.
     *
     * @param checkpointOwner the backup that made a checkpoint of this name, {@code null} if none
     */
    public BackupRequest backup(String backupXml, Function<String, UUID> checkpointOwner) {
        return parse(backupXml, LibvirtDialect.Mode.PUSH).toRequest(checkpointOwner);
    }

    /** The input of {@code startUnmanaged}, in our dialect or libvirt's. */
    public BackupRequest export(String backupXml, Function<String, UUID> checkpointOwner) {
        BackupDocument doc = parse(backupXml, LibvirtDialect.Mode.PULL);
        LibvirtDialect.checkServer(doc);
        doc.disks().stream().filter(d -> d.target() != null).findFirst().ifPresent(d -> {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + d.name() + ": an unmanaged backup stores "
                    + "nothing, so its disks take no <target>; a third party reads the NBD export");
        });
        return doc.toRequest(checkpointOwner);
    }

    private BackupDocument parse(String backupXml, LibvirtDialect.Mode mode) {
        limits.requireXmlSize("the backup XML", backupXml);
        return xml.parseRequest(backupXml, mode);
    }

    /** The input of {@code restore}. */
    public RestoreRequest restore(String restoreXml) {
        limits.requireXmlSize("the restore XML", restoreXml);
        BackupDocument doc = xml.parseRequest(restoreXml);
        if (doc.speaksLibvirt()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "the restore XML names " + (doc.mode() != null
                    ? "a mode" : "an <incremental> checkpoint") + ", which belongs to the start of a backup; a restore "
                    + "names its backup point by <uuid>");
        }
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
