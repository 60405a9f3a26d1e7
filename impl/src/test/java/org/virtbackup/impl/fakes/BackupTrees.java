package org.virtbackup.impl.fakes;

import org.virtbackup.impl.repository.Repositories;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.storage.DirectoryTarget;
import org.virtbackup.impl.storage.StorageRouter;
import org.virtbackup.impl.xml.BackupXml;

/**
 * A real catalogue and storage router on a temporary directory, with backups of one fake domain
 * made as the service makes them: a directory per backup with a descriptor and a (fake) image.
 */
public final class BackupTrees {

    public final Path root;
    public final FakeLibvirt libvirt = new FakeLibvirt();
    public final FakeDomain domain;
    public final Catalogue catalogue = new Catalogue(new BackupXml());
    public final StorageRouter storage;
    private long clock = 1_000_000;

    public BackupTrees(Path tmp) {
        this.root = tmp.resolve("backups");
        this.domain = libvirt.add(new FakeDomain("vm", tmp.resolve("vm.qcow2").toString()));
        this.storage = new StorageRouter(DirectoryTarget.at(root, FakeLibvirt.qemuAsRoot()), root, List.of(tmp.resolve("targets")), libvirt.pools(),
                FakeLibvirt.qemuAsRoot(), new Repositories(List.of(tmp.resolve("targets")), root, "", "", 1 << 20, 2, false));
    }

    /** A completed full backup. */
    public Backup full() {
        return add(null, JobState.COMPLETED);
    }

    /** A completed incremental on {@code parent}. */
    public Backup incremental(Backup parent) {
        return add(parent, JobState.COMPLETED);
    }

    /** A backup in any state, on {@code parent} ({@code null}: a full one). */
    public Backup add(Backup parent, JobState state) {
        return add(parent, state, BackupMode.MANAGED);
    }

    /** A backup of either mode, in any state, on {@code parent} ({@code null}: a full one). */
    public Backup add(Backup parent, JobState state, BackupMode mode) {
        UUID uuid = UUID.randomUUID();
        Path dir = storage.create(domain.ref(), uuid);
        Path image = dir.resolve("vda.qcow2");
        try {
            Files.writeString(image, "image of " + uuid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Backup b = new Backup(uuid, domain.ref(), "", Instant.ofEpochSecond(clock++), null,
                parent == null ? null : parent.uuid(), parent == null ? BackupKind.FULL : BackupKind.INCREMENTAL,
                mode, state, Checkpoints.nameFor(uuid), "",
                List.of(new BackupDisk("vda", "qcow2", image.toString(), 1 << 20, 0)));
        catalogue.put(new CatalogueEntry(b, domain.xml(), dir));
        domain.checkpoints.add(b.checkpoint());
        return b;
    }

    public Path directory(Backup b) {
        return catalogue.require(b.uuid()).directory();
    }
}
