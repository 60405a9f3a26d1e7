package org.virtbackup.impl.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.catalogue.DirectoryMarks;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.config.VirtBackupConfig;
import org.virtbackup.impl.libvirt.Libvirt;
import org.virtbackup.impl.qemu.QemuAccess;
import org.virtbackup.spi.StorageTarget;

/**
 * The default target: a local directory, {@code <root>/<domain uuid>/<backup uuid>/}, every
 * level 0700. Domains are filed by UUID, not name, because names can be reused. QEMU's user may
 * pass through the root and the domains' directories, and through a backup's directory only
 * while QEMU writes its images (libvirt's push mode) or a domain restored instantly reads them.
 */
@Component(service = StorageTarget.class, configurationPid = VirtBackupConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = StorageTarget.KIND + "=directory")
public final class DirectoryTarget implements StorageTarget {

    private final Path root;
    private final QemuAccess qemu;

    @Activate
    public DirectoryTarget(@Reference Libvirt libvirt, VirtBackupConfig config) {
        this(Paths.resolve(config.target_directory()), new QemuAccess(libvirt::qemuUid));
    }

    /** A directory target outside Declarative Services (a per-domain directory, a test). */
    public static DirectoryTarget at(Path root, QemuAccess qemu) {
        return new DirectoryTarget(root, qemu);
    }

    // Private: Declarative Services picks the public constructor of the @Activate arity, and two would clash.
    private DirectoryTarget(Path root, QemuAccess qemu) {
        this.root = Paths.privateDirectory(root);
        this.qemu = qemu;
    }

    public Path root() {
        return root;
    }

    @Override
    public Path create(DomainRef domain, UUID backup) {
        Path domainDir = Paths.privateDirectory(root.resolve(domain.uuid().toString()));
        Path dir = domainDir.resolve(backup.toString());
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(Paths.OWNER_ONLY_DIR));
            return dir;
        } catch (FileAlreadyExistsException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "backup " + backup + " already exists in " + root);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /** QEMU's user may pass through to these backup directories (this target's own only). */
    public void openToQemu(List<Path> backupDirectories) {
        if (backupDirectories.isEmpty()) {
            return;
        }
        Set<Path> path = new LinkedHashSet<>(List.of(root));
        for (Path dir : backupDirectories) {
            requireOwn(dir);
            path.add(dir.getParent());
            path.add(dir);
        }
        qemu.traverse(List.copyOf(path));
    }

    /** QEMU's user may no longer pass into the backup's directory; the root and domain directories stay passable. */
    public void closeToQemu(Path backupDirectory) {
        requireOwn(backupDirectory);
        qemu.revoke(backupDirectory);
    }

    /** Whether the directory is one of this target's backup directories. */
    public boolean holds(Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        return dir.startsWith(root) && dir.getNameCount() == root.getNameCount() + 2;
    }

    private void requireOwn(Path backupDirectory) {
        if (!holds(backupDirectory)) {
            throw new BackupException(ErrorCode.INVALID_TARGET, backupDirectory + " is not a backup directory of " + root);
        }
    }

    @Override
    public long usableSpace() {
        try {
            return Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "cannot read the free space of " + root + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public List<Path> backups() {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> domains = Files.list(root)) {
            for (Path domainDir : domains.filter(Files::isDirectory).toList()) {
                try (Stream<Path> backups = Files.list(domainDir)) {
                    backups.filter(Files::isDirectory).forEach(found::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list backups in " + root, e);
        }
        return found;
    }

    @Override
    public void remove(Path backupDirectory) {
        Path dir = backupDirectory.toAbsolutePath().normalize();
        requireOwn(dir);
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (!DirectoryMarks.isMark(file)) {
                        Files.delete(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    // The marks last: a removal cut short midway is still known as one at the next start.
                    try (Stream<Path> marks = Files.list(d)) {
                        for (Path mark : marks.filter(DirectoryMarks::isMark).toList()) {
                            Files.delete(mark);
                        }
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
            removeIfEmpty(dir.getParent());
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "cannot remove " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A domain's directory goes with its last backup. */
    private static void removeIfEmpty(Path domainDir) throws IOException {
        try (Stream<Path> left = Files.list(domainDir)) {
            if (left.findAny().isEmpty()) {
                Files.deleteIfExists(domainDir);
            }
        } catch (DirectoryNotEmptyException e) {
            // a backup of the same domain was created meanwhile: keep the directory
        }
    }
}
