package org.virtbackup.impl.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.qemu.CopyProgress;
import org.virtbackup.impl.restore.RestoreSource;
import org.virtbackup.spi.JobProgress;

/** A repository disk assembled for a file restore shows its progress as a restore's, while it runs and not after. */
class AssembledDiskTest {

    private static final long SIZE = 4 << 20;

    @TempDir
    Path work;

    private final CopyTracker copies = new CopyTracker();
    private final BackupDisk disk = new BackupDisk("vda", BackupDisk.REPOSITORY, "file:///repo", SIZE, SIZE / 2);
    private final Backup backup = new Backup(UUID.randomUUID(), new DomainRef("guest", UUID.randomUUID()), "",
            Instant.now(), Instant.now(), null, BackupKind.FULL, BackupMode.MANAGED, JobState.COMPLETED, null, "",
            List.of(disk));

    @Test
    void itsProgressShowsInTheBackupsParametersWhileItIsAssembled() {
        List<Optional<JobProgress>> seen = new ArrayList<>();
        byte[] data = new byte[(int) SIZE];
        data[12345] = 7;
        AssembledDisk assembled = AssembledDisk.assemble(new Source((image, progress) -> {
            seen.add(copies.progress(CopyTracker.Kind.RESTORE, backup.uuid()));
            Files.write(image, data);
            progress.advance(SIZE);
            seen.add(copies.progress(CopyTracker.Kind.RESTORE, backup.uuid()));
        }), copies, backup, disk, work);

        assertEquals(2, seen.size());
        assertEquals(new JobProgress(SIZE, 0), seen.get(0).orElseThrow(), "shown from the start");
        assertEquals(new JobProgress(SIZE, SIZE), seen.get(1).orElseThrow(), "and as it goes");
        assertEquals(Optional.empty(), copies.progress(CopyTracker.Kind.RESTORE, backup.uuid()), "gone once assembled");
        assertTrue(assembled.file().startsWith(work));
        assertArrayEquals(data, readAll(assembled.file()));
    }

    @Test
    void aFailedAssemblyShowsNoProgressAfterIt() {
        BackupException e = assertThrows(BackupException.class, () -> AssembledDisk.assemble(new Source((image, progress) -> {
            throw new IOException("a chunk is damaged (a test)");
        }), copies, backup, disk, work));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertEquals(Optional.empty(), copies.progress(CopyTracker.Kind.RESTORE, backup.uuid()));
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What copying the disk does, in a test. */
    private interface Copy {
        void run(Path image, CopyProgress progress) throws IOException;
    }

    /** A repository that holds the disk, copying it as the test says. */
    private static final class Source implements RestoreSource {
        private final Copy copy;

        Source(Copy copy) {
            this.copy = copy;
        }

        @Override
        public long required(Backup backup, BackupDisk disk, String format) {
            return disk.stored();
        }

        @Override
        public void copy(Backup backup, BackupDisk disk, Path image, String format, CopyProgress progress, Path log)
                throws IOException {
            copy.run(image, progress);
        }

        @Override
        public boolean identical(Backup backup, BackupDisk disk, Path image, String format) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] firmware(Backup backup, Path directory, FirmwareFile file) {
            throw new UnsupportedOperationException();
        }
    }
}
