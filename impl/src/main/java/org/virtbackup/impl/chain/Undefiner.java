package org.virtbackup.impl.chain;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.UndefineFlag;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * Undefines a domain in libvirt ({@code VIR_DOMAIN_UNDEFINE_BACKUP}): refused while it has managed
 * backups unless told to delete them with it or to keep them (they restore to a new domain).
 */
public final class Undefiner {

    private static final Logger LOG = LoggerFactory.getLogger(Undefiner.class);

    private final Libvirt libvirt;
    private final Catalogue catalogue;
    private final ChainEditor chains;
    private final DomainLocks locks;

    public Undefiner(Libvirt libvirt, Catalogue catalogue, ChainEditor chains, DomainLocks locks) {
        this.libvirt = libvirt;
        this.catalogue = catalogue;
        this.chains = chains;
        this.locks = locks;
    }

    public void undefine(String domainName, Set<UndefineFlag> flags) {
        Set<UndefineFlag> f = flags == null ? Set.of() : flags;
        if (f.contains(UndefineFlag.BACKUPS) && f.contains(UndefineFlag.KEEP_BACKUPS)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "BACKUPS and KEEP_BACKUPS exclude each other");
        }
        LibvirtDomain domain = libvirt.domain(domainName);
        DomainRef ref = domain.ref();
        // No backup starts, and none is deleted or restored, while the domain goes.
        try (DomainLocks.Held held = locks.hold(ref, DomainLocks.Access.EDIT, "the undefinition of the domain")) {
            List<Backup> backups = catalogue.list(ref.uuid().toString(), Set.of());
            long managed = backups.stream().filter(b -> b.mode() == BackupMode.MANAGED).count();
            if (managed > 0 && f.isEmpty()) {
                throw new BackupException(ErrorCode.INVALID_STATE, "domain " + ref.name() + " has " + managed
                        + " managed backups; undefine it with BACKUPS to delete them too, or KEEP_BACKUPS to keep them "
                        + "(they still restore to a new domain)");
            }
            ChainEditor.requireNotRunning(backups);
            if (f.contains(UndefineFlag.BACKUPS) && !backups.isEmpty()) {
                chains.delete(backups.get(0).uuid(), EnumSet.of(DeleteFlag.ALL));
            }
            // With KEEP_BACKUPS the bitmaps stay in the images, harmless without a domain.
            domain.undefine();
            LOG.info("Domain {} undefined; {} of its backups {}", ref.name(), backups.size(),
                    f.contains(UndefineFlag.BACKUPS) ? "deleted" : "kept");
        }
    }
}
