package org.virtbackup.impl.backup;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.libvirt.DomainDisk;
import org.virtbackup.impl.libvirt.DomainXml;
import org.virtbackup.impl.libvirt.LibvirtDomain;
import org.virtbackup.impl.qemu.QemuImg;

/**
 * Decides whether a new backup is incremental, and to which parent. Checkpoint metadata lives
 * outside the images and drifts (a checkpoint deleted behind our back, a disk replaced, a bitmap
 * that stopped recording): such a parent gives a full backup with the reason noted, or an error
 * when the caller asked for a strict incremental. Never a wrong incremental.
 */
public final class ParentChoice {

    private static final Logger LOG = LoggerFactory.getLogger(ParentChoice.class);

    /**
     * @param parent the parent, {@code null} for a full backup
     * @param note why a requested incremental became a full backup, empty otherwise
     * @param dirtyBytes what the guest wrote since the parent's checkpoint, counted by the bitmaps
     *        read to check them (a running domain's), else -1
     */
    public record Decision(CatalogueEntry parent, String note, long dirtyBytes) {

        Decision(CatalogueEntry parent, String note) {
            this(parent, note, -1);
        }
    }

    /** Why a parent cannot serve ({@code null} if it can), and what its bitmaps count if they were read. */
    private record Check(String problem, long dirtyBytes) {

        Check(String problem) {
            this(problem, -1);
        }
    }

    private final Catalogue catalogue;
    private final QemuImg qemuImg;

    public ParentChoice(Catalogue catalogue, QemuImg qemuImg) {
        this.catalogue = catalogue;
        this.qemuImg = qemuImg;
    }

    /**
     * The parent of a backup about to start. A managed incremental is an overlay on its parent's
     * images, so only a managed parent serves it; an unmanaged export can build on either.
     */
    public Decision decide(BackupPlan plan) {
        UUID requested = plan.request().parent();
        Set<CreateFlag> flags = plan.flags();
        DomainRef domain = plan.ref();
        BackupMode mode = plan.mode();
        boolean strict = flags.contains(CreateFlag.STRICT_INCREMENTAL);
        if (flags.contains(CreateFlag.FORCE_FULL)) {
            return new Decision(null, "");
        }
        CatalogueEntry candidate;
        if (requested != null) {
            candidate = catalogue.require(requested);
            if (!candidate.backup().domain().uuid().equals(domain.uuid())) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "parent " + requested + " is a backup of domain "
                        + candidate.backup().domain().name() + ", not of " + domain.name());
            }
        } else if (flags.contains(CreateFlag.INCREMENTAL) || strict) {
            Optional<CatalogueEntry> latest = catalogue.all().stream()
                    .filter(e -> e.backup().domain().uuid().equals(domain.uuid()))
                    .filter(e -> e.backup().state() == JobState.COMPLETED && e.backup().checkpoint() != null)
                    .filter(e -> mode == BackupMode.UNMANAGED || e.backup().mode() == BackupMode.MANAGED)
                    .max(Comparator.comparing((CatalogueEntry e) -> e.backup().creationTime()));
            if (latest.isEmpty()) {
                return fallback(strict, "domain " + domain.name() + " has no completed backup to build on");
            }
            candidate = latest.get();
        } else {
            return new Decision(null, "");
        }
        String problem = mode == BackupMode.MANAGED && candidate.backup().mode() == BackupMode.UNMANAGED
                ? "parent " + candidate.backup().uuid() + " is unmanaged: its data is with the third party that read "
                        + "its export, so there is no image to build a managed incremental on"
                : mode == BackupMode.MANAGED ? storageProblem(candidate.backup(), plan) : null;
        Check check = problem != null ? new Check(problem) : check(candidate, plan.domain(), plan.disks());
        return check.problem() == null ? new Decision(candidate, "", check.dirtyBytes()) : fallback(strict, check.problem());
    }

    private static Decision fallback(boolean strict, String why) {
        if (strict) {
            throw new BackupException(ErrorCode.CHAIN_BROKEN, why + "; no incremental backup is possible");
        }
        LOG.warn("Full backup instead of an incremental one: {}", why);
        return new Decision(null, why + "; a full backup was made instead");
    }

    /**
     * Why a managed parent cannot serve where the new backup goes: an incremental in a repository
     * names its parent's chunks, so the parent must be in the same repository; one in images is an
     * overlay, so the parent must have images.
     */
    private static String storageProblem(Backup parent, BackupPlan plan) {
        String parentRepository = parent.inRepository() ? parent.disks().get(0).target() : null;
        if (Objects.equals(parentRepository, plan.repository())) {
            return null;
        }
        return "parent " + parent.uuid() + " is " + (parentRepository == null ? "in images"
                : "in repository " + parentRepository) + ", and this backup goes "
                + (plan.repository() == null ? "into images" : "into repository " + plan.repository());
    }

    /** Whether this parent can serve; a running domain's bitmaps are read once, for that and for their count. */
    private Check check(CatalogueEntry parent, LibvirtDomain live, List<DomainDisk> chosen) {
        boolean active = live.isActive(); // asked once: a guest shutting off meanwhile must not skip both checks
        String problem = problem(parent, live, active, chosen);
        if (problem != null || !active) {
            return new Check(problem);
        }
        String checkpoint = parent.backup().checkpoint();
        List<String> bitmaps = Checkpoints.liveBitmaps(live, checkpoint);
        String bitmapProblem = Checkpoints.bitmapProblem(bitmaps, checkpoint);
        return bitmapProblem != null ? new Check(bitmapProblem) : new Check(null, Checkpoints.dirtyBytes(bitmaps));
    }

    /** Why this parent cannot serve, or {@code null}; a running domain's bitmaps are the caller's to check. */
    private String problem(CatalogueEntry parent, LibvirtDomain live, boolean active, List<DomainDisk> chosen) {
        Backup p = parent.backup();
        if (p.state() != JobState.COMPLETED) {
            return "parent " + p.uuid() + " is " + p.state().name().toLowerCase();
        }
        if (p.checkpoint() == null) {
            return "parent " + p.uuid() + " has no checkpoint";
        }
        Map<String, BackupDisk> parentDisks = p.disks().stream().collect(Collectors.toMap(BackupDisk::name, Function.identity()));
        Map<String, DomainDisk> thenDisks = DomainXml.disksByName(parent.domainXml());
        for (DomainDisk now : chosen) {
            if (!parentDisks.containsKey(now.name())) {
                return "disk " + now.name() + " is not in parent " + p.uuid() + " (added since?)";
            }
            DomainDisk then = thenDisks.get(now.name());
            if (p.inRepository() && parentDisks.get(now.name()).capacity() != live.capacity(now.name())) {
                return "disk " + now.name() + " was resized since parent " + p.uuid();
            }
            if (then == null || !String.valueOf(then.source()).equals(String.valueOf(now.source()))) {
                return "disk " + now.name() + " was replaced since parent " + p.uuid() + " ("
                        + (then == null ? "none" : then.source()) + " then, " + now.source() + " now)";
            }
        }
        if (!Checkpoints.exists(live, p.checkpoint())) {
            return "checkpoint " + p.checkpoint() + " of parent " + p.uuid() + " is gone from libvirt";
        }
        if (active) {
            return null;
        }
        for (DomainDisk now : chosen) {
            String problem = qemuImg.bitmapProblem(now.source(), p.checkpoint());
            if (problem != null) {
                return "disk " + now.name() + ": " + problem;
            }
        }
        return null;
    }
}
