package org.virtbackup.impl.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.catalogue.CatalogueEntry;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.libvirt.LibvirtDomain;

/**
 * The domains instantly restored from a backup, kept in {@value #NAME} in the backup's directory:
 * one line per overlay, {@code <domain uuid> <overlay path>}. Their disks read through the
 * backup's images, so the backup must stay while they exist.
 */
public final class InstantRestores {

    static final String NAME = "instant-restores";

    /** One overlay of an instantly restored domain. */
    record Use(UUID domain, String overlay) {
    }

    private final Libvirt libvirt;

    public InstantRestores(Libvirt libvirt) {
        this.libvirt = libvirt;
    }

    /**
     * Refuses when a domain restored instantly from this backup still exists with its overlay:
     * its disks read through the backup's images.
     */
    public void requireNone(CatalogueEntry entry) {
        for (Use use : of(entry.directory())) {
            LibvirtDomain d = libvirt.find(use.domain()).orElse(null);
            if (d != null && xmlOf(d).contains(use.overlay())) {
                throw new BackupException(ErrorCode.INVALID_STATE, "backup " + entry.backup().uuid()
                        + " holds the disks of domain " + d.ref().name() + ", restored instantly from it ("
                        + use.overlay() + "); undefine that domain, or restore it in full, first");
            }
        }
    }

    /**
     * Forgets the overlays of the backup whose domains went (undefined, or given other disks);
     * returns whether any is left. One that libvirt cannot tell about is kept.
     */
    synchronized boolean forgetGone(Path backupDirectory) {
        List<Use> all = of(backupDirectory);
        List<Use> left = all.stream().filter(this::inUse).toList();
        if (left.size() != all.size()) {
            write(backupDirectory, left);
        }
        return !left.isEmpty();
    }

    private boolean inUse(Use use) {
        try {
            return libvirt.find(use.domain()).map(d -> xmlOf(d).contains(use.overlay())).orElse(false);
        } catch (BackupException e) {
            return true; // libvirt cannot say: the domain may still read through the backup
        }
    }

    private static String xmlOf(LibvirtDomain d) {
        try {
            return d.xml();
        } catch (BackupException e) {
            if (e.code() == ErrorCode.NO_DOMAIN) {
                return ""; // the domain went meanwhile: its overlay no longer needs the backup
            }
            throw e; // libvirt cannot say: the backup may still be needed, so it stays
        }
    }

    static List<Use> of(Path backupDirectory) {
        Path file = backupDirectory.resolve(NAME);
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
                    .map(l -> l.split(" ", 2)).map(p -> new Use(UUID.fromString(p[0]), p[1])).toList();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Records new overlays; one at a time, so two instant restores never lose one's line. */
    synchronized void add(Path backupDirectory, List<Use> uses) {
        List<Use> all = new ArrayList<>(of(backupDirectory));
        all.addAll(uses);
        write(backupDirectory, all);
    }

    private static void write(Path backupDirectory, List<Use> all) {
        Path file = backupDirectory.resolve(NAME);
        if (all.isEmpty()) {
            Paths.deleteQuietly(file);
            return;
        }
        StringBuilder text = new StringBuilder();
        all.forEach(u -> text.append(u.domain()).append(' ').append(u.overlay()).append('\n'));
        try {
            Paths.writeDurably(file, text.toString());
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
