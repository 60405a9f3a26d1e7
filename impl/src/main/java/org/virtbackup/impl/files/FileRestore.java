package org.virtbackup.impl.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.api.files.BackupFiles;
import org.virtbackup.api.files.ExtractResult;
import org.virtbackup.api.files.GuestFile;
import org.virtbackup.impl.catalogue.Catalogue;
import org.virtbackup.impl.config.FaultPoints;
import org.virtbackup.impl.config.Paths;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.restore.RestoreSource;

/**
 * Lists and copies out files of a backup's disk. Each call opens the disk (served from its qcow2
 * chain, or assembled from a repository), reads, and closes it again, holding the domain for
 * reading meanwhile: no merge or delete changes the images under it.
 */
public final class FileRestore implements BackupFiles {

    private static final Logger LOG = LoggerFactory.getLogger(FileRestore.class);

    private final Catalogue catalogue;
    private final DomainLocks locks;
    private final WorkDirectories works;
    private final RestoreSource chunks;
    private final CopyTracker copies;
    private final List<Path> restoreRoots;
    private final String qemuNbd;
    private final FaultPoints faults;

    /**
     * @param work where disks are opened ({@code files/} in the scratch directory)
     * @param chunks reads a repository backup's disks
     * @param copies where assembling such a disk shows its progress
     */
    public FileRestore(Catalogue catalogue, DomainLocks locks, Path work, RestoreSource chunks, CopyTracker copies,
            List<Path> restoreRoots, String qemuNbd, FaultPoints faults) {
        this.catalogue = catalogue;
        this.locks = locks;
        this.works = new WorkDirectories(work);
        this.chunks = chunks;
        this.copies = copies;
        this.restoreRoots = restoreRoots;
        this.qemuNbd = qemuNbd;
        this.faults = faults;
    }

    /** Takes what a killed JVM left mounted; a failure is logged (backups go on, the next start tries again). */
    public void sweep() {
        try {
            int swept = works.sweep();
            if (swept > 0) {
                LOG.info("Took {} file restore work directories a stopped JVM left, with their mounts", swept);
            }
        } catch (RuntimeException e) {
            LOG.warn("Cannot take what a stopped JVM's file restores left: {}", e.getMessage());
        }
    }

    @Override
    public List<GuestFile> listFiles(UUID backup, String disk, String path) {
        Backup b = readable(backup);
        List<String> parts = GuestTree.parts(path);
        if (disk == null) {
            if (!parts.isEmpty()) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a path is inside a disk: name the disk too");
            }
            return b.disks().stream().map(d -> new GuestFile(d.name(), GuestFile.Type.VOLUME, d.capacity(), null, null))
                    .toList();
        }
        return read(b, disk, (open, d) -> {
            if (open.partitioned() && parts.isEmpty()) {
                return open.volumes().stream().map(v -> new GuestFile(v.name(),
                        v.readable() ? GuestFile.Type.VOLUME : GuestFile.Type.OTHER, v.size(), null, v.type())).toList();
            }
            return GuestTree.list(locate(open, d, parts));
        });
    }

    @Override
    public ExtractResult extract(UUID backup, String disk, String path, Path directory) {
        if (disk == null || directory == null) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "an extract names a disk and a directory to copy into");
        }
        List<String> parts = GuestTree.parts(path);
        Path into = destination(directory);
        return read(readable(backup), disk, (open, d) -> {
            Path source = locate(open, d, parts);
            String shown = String.join("/", Stream.concat(Stream.of(d.name()), parts.stream()).toList());
            String name = parts.isEmpty() ? d.name() : open.partitioned() && parts.size() == 1
                    ? d.name() + "-" + parts.get(0) : parts.get(parts.size() - 1);
            return Extraction.copy(source, name, shown, into);
        });
    }

    /** The directory, real path, inside a restore root. */
    private Path destination(Path directory) {
        try {
            Path real = Paths.realInside(directory, restoreRoots).orElseThrow(() -> new BackupException(
                    ErrorCode.INVALID_ARGUMENT, directory + " is outside the restore roots " + restoreRoots
                            + " (restore.roots)"));
            if (!Files.isDirectory(real)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, directory + " is no directory");
            }
            Paths.changeableByOthers(real).ifPresent(why -> {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "not extracting into " + directory + ": " + why
                        + "; a link put there meanwhile could send the copy anywhere. Extract into a directory only "
                        + "root and the service's user can change");
            });
            return real;
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "cannot resolve " + directory + ": " + e.getMessage());
        }
    }

    /** The file at the parts: through the partition its first part names, when the disk has a partition table. */
    private static Path locate(OpenDisk open, BackupDisk disk, List<String> parts) {
        Volume volume;
        List<String> rest = parts;
        if (open.partitioned()) {
            List<String> names = open.volumes().stream().map(Volume::name).toList();
            if (parts.isEmpty()) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + disk.name() + " has a partition table: "
                        + "name one of its partitions " + names + " first (p1/etc)");
            }
            volume = open.volumes().stream().filter(v -> v.name().equals(parts.get(0))).findFirst()
                    .orElseThrow(() -> new BackupException(ErrorCode.INVALID_ARGUMENT, "disk " + disk.name()
                            + " has no partition " + GuestFile.printable(parts.get(0)) + "; it has " + names));
            rest = parts.subList(1, parts.size());
        } else {
            volume = open.volumes().get(0);
        }
        String shown = disk.name() + (volume.name().isEmpty() ? "" : "/" + volume.name());
        return GuestTree.resolve(open.root(volume), rest, shown);
    }

    private <T> T read(Backup backup, String diskName, Reader<T> reader) {
        try (DomainLocks.Held held = locks.hold(backup.domain(), DomainLocks.Access.READ,
                "the file restore from backup " + backup.uuid())) {
            Backup now = readable(backup.uuid()); // again under the lock: a merge or delete may have changed it
            BackupDisk disk = now.disks().stream().filter(d -> d.name().equals(diskName)).findFirst()
                    .orElseThrow(() -> new BackupException(ErrorCode.NO_DISK, "backup " + now.uuid() + " has no disk "
                            + diskName + "; it has " + now.disks().stream().map(BackupDisk::name).toList()));
            try (OpenDisk open = OpenDisk.open(works, disk, opener(now, disk))) {
                T read = reader.read(open, disk);
                faults.reach("files.read"); // the fault suite: killed with the disk open and mounted
                return read;
            }
        }
    }

    private Function<Path, DiskFile> opener(Backup backup, BackupDisk disk) {
        if (disk.format().equals(BackupDisk.REPOSITORY)) {
            return work -> AssembledDisk.assemble(chunks, copies, backup, disk, work);
        }
        if (!disk.format().equals("qcow2")) {
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "disk " + disk.name() + " of backup " + backup.uuid()
                    + " is kept as " + disk.format() + "; files are read from qcow2 images and repositories");
        }
        return work -> ServedImage.open(Path.of(disk.target()), work, qemuNbd);
    }

    private Backup readable(UUID uuid) {
        Backup b = catalogue.require(uuid).backup();
        if (b.mode() == BackupMode.UNMANAGED) {
            throw new BackupException(ErrorCode.NOT_SUPPORTED, "backup " + uuid + " is unmanaged: its data is with the "
                    + "third-party tool that read its export");
        }
        if (b.state() != JobState.COMPLETED) {
            throw new BackupException(ErrorCode.INVALID_STATE, "backup " + uuid + " is " + b.state().name().toLowerCase()
                    + "; files are read from completed backups only");
        }
        return b;
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(OpenDisk open, BackupDisk disk);
    }
}
