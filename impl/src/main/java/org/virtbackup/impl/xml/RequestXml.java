package org.virtbackup.impl.xml;

import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupRequest;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CreateFlag;
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
     * A backup asked for in XML.
     *
     * @param request what to back up
     * @param sinceCheckpoint libvirt's {@code <incremental>} named the parent: it must serve, as in
     *        libvirt, where no full backup is made instead ({@code STRICT_INCREMENTAL})
     */
    public record Start(BackupRequest request, boolean sinceCheckpoint) {

        /** The caller's flags; with libvirt's {@code <incremental>}, strict: an incremental or an error, never a full instead. */
        public Set<CreateFlag> flags(Set<CreateFlag> given) {
            if (!sinceCheckpoint) {
                return given;
            }
            Set<CreateFlag> strict = given == null || given.isEmpty() ? EnumSet.noneOf(CreateFlag.class) : EnumSet.copyOf(given);
            strict.add(CreateFlag.STRICT_INCREMENTAL);
            return strict;
        }
    }

    /**
     * The input of {@code create}, in our dialect or libvirt's.
     *
     * @param checkpointOwner the backup that made a checkpoint of this name, {@code null} if none
     */
    public Start backup(String backupXml, Function<String, UUID> checkpointOwner) {
        BackupDocument doc = parse(backupXml, LibvirtDialect.Mode.PUSH);
        return new Start(doc.toRequest(checkpointOwner), doc.incremental() != null);
    }

    /** The input of {@code startUnmanaged}, in our dialect or libvirt's. */
    public Start export(String backupXml, Function<String, UUID> checkpointOwner) {
        BackupDocument doc = parse(backupXml, LibvirtDialect.Mode.PULL);
        LibvirtDialect.checkServer(doc);
        doc.disks().stream().filter(d -> d.target() != null).findFirst().ifPresent(d -> {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + d.name() + ": an unmanaged backup stores "
                    + "nothing, so its disks take no <target>; a third party reads the NBD export");
        });
        return new Start(doc.toRequest(checkpointOwner), doc.incremental() != null);
    }

    private BackupDocument parse(String backupXml, LibvirtDialect.Mode mode) {
        limits.requireXmlSize("the backup XML", backupXml);
        return xml.parseRequest(backupXml, mode);
    }

    /** The input of {@code restore}. */
    public RestoreRequest restore(String restoreXml) {
        limits.requireXmlSize("the restore XML", restoreXml);
        BackupDocument doc = xml.parseRequest(restoreXml, LibvirtDialect.Mode.RESTORE);
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
