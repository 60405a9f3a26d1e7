package org.virtbackup.impl.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/** A backed-up disk opened for reading files: its work directory, its disk file, its volumes and their mounts. */
final class OpenDisk implements AutoCloseable {

    private final WorkDirectories works;
    private final Path work;
    private final DiskFile file;
    private final List<Volume> volumes;
    private final Map<String, VolumeMount> mounts = new HashMap<>();

    private OpenDisk(WorkDirectories works, Path work, DiskFile file, List<Volume> volumes) {
        this.works = works;
        this.work = work;
        this.file = file;
        this.volumes = volumes;
    }

    /** @param opener makes the disk readable as a file, given the work directory */
    static OpenDisk open(WorkDirectories works, BackupDisk disk, Function<Path, DiskFile> opener) {
        Path work = works.create();
        DiskFile file = null;
        try {
            file = opener.apply(work);
            return new OpenDisk(works, work, file, Volumes.of(file.file(), disk.capacity()));
        } catch (RuntimeException e) {
            if (file != null) {
                file.close();
            }
            works.remove(work);
            throw e;
        }
    }

    List<Volume> volumes() {
        return volumes;
    }

    /** Whether the disk has a partition table: its root shows partitions, not a file system. */
    boolean partitioned() {
        return !(volumes.size() == 1 && volumes.get(0).name().isEmpty());
    }

    /** The root of the volume's file system, mounted on first use. */
    Path root(Volume volume) {
        if (!volume.readable()) {
            String what = volume.name().isEmpty() ? "the disk" : "partition " + volume.name();
            throw new BackupException(ErrorCode.NOT_SUPPORTED, what + " holds "
                    + (volume.type() == null ? "no file system blkid knows" : volume.type())
                    + "; files are read from " + String.join(", ", Volume.READ.stream().sorted().toList()) + " only");
        }
        return mounts.computeIfAbsent(volume.name(), n -> VolumeMount.mount(file.file(), volume,
                work.resolve("volume" + (n.isEmpty() ? "" : "-" + n)))).root();
    }

    /** Unmounts, stops the disk file's programs and removes the work directory: each step whatever the others did. */
    @Override
    public void close() {
        RuntimeException failed = null;
        for (Runnable step : steps()) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    private List<Runnable> steps() {
        List<Runnable> steps = new ArrayList<>();
        mounts.values().forEach(m -> steps.add(m::close));
        steps.add(file::close);
        steps.add(() -> works.remove(work));
        return steps;
    }
}
