package org.virtbackup.impl.repository;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.firmware.FirmwareCopies;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkId;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.Repository;

/**
 * A repository backup's firmware state (NVRAM, TPM state) kept as the repository keeps disks: a
 * file is a small disk of its own, {@code fw-<kind>-<name>} in the manifest, its chunks
 * deduplicated, compressed and encrypted like any other. So verification, collection and
 * copies to another repository treat it as they treat disks, and nothing in the format changes.
 */
public final class FirmwareChunks {

    private FirmwareChunks() {
    }

    /** The manifest's name for the file; never a disk's, as libvirt's disk targets (vda, sdb) hold no '-'. */
    public static String diskName(FirmwareFile f) {
        return "fw-" + f.kind() + "-" + f.name();
    }

    /** Stores each file's bytes and writes its index. */
    public static void store(BackupWriter writer, int chunkSize, List<FirmwareFile> files,
            Function<FirmwareFile, byte[]> bytes) {
        for (FirmwareFile f : files) {
            byte[] data = bytes.apply(f);
            ChunkIndex ids = ChunkIndex.of(Manifest.Disk.chunkCount(data.length, chunkSize));
            for (int i = 0; i < ids.size(); i++) {
                byte[] chunk = Arrays.copyOfRange(data, i * chunkSize, Math.min(data.length, (i + 1) * chunkSize));
                ids.set(i, writer.store(chunk, chunk.length).id());
            }
            writer.writeIndex(diskName(f), ids);
        }
    }

    /** The manifest entries of the files whose indexes the backup's writer wrote. */
    public static List<Manifest.Disk> written(Repository repo, UUID backup, List<FirmwareFile> files) {
        List<Manifest.Disk> disks = new ArrayList<>();
        for (FirmwareFile f : files) {
            disks.add(repo.writtenIndex(backup, diskName(f), f.size()));
        }
        return disks;
    }

    /** A file's bytes as the repository keeps them, checked against the SHA-256 the backup recorded. */
    public static byte[] read(Repositories repositories, String url, UUID backup, FirmwareFile f) {
        Repository repo = repositories.open(url);
        Manifest m = Repositories.call(url, () -> repo.manifest(backup)).orElseThrow(() -> new BackupException(
                ErrorCode.NO_BACKUP, "backup " + backup + " is no longer in repository " + url));
        Manifest.Disk d = Repositories.call(url, () -> m.disk(diskName(f)));
        if (d.capacity() != f.size() || d.capacity() > FirmwareCopies.MAX_BYTES) { // before an array of that size
            throw new BackupException(ErrorCode.CHAIN_BROKEN, url + " (backup " + backup + ", " + diskName(f) + ") holds "
                    + d.capacity() + " bytes, not the " + f.size() + " of the firmware file " + f.name() + " the backup recorded");
        }
        ChunkIndex ids = Repositories.call(url, () -> repo.index(m, d));
        byte[] data = new byte[Math.toIntExact(d.capacity())];
        for (int i = 0; i < ids.size(); i++) {
            if (!ids.isZero(i)) {
                ChunkId id = ids.get(i);
                byte[] chunk = Repositories.call(url, () -> repo.readChunk(id));
                System.arraycopy(chunk, 0, data, i * d.chunkSize(), Math.min(chunk.length, data.length - i * d.chunkSize()));
            }
        }
        return FirmwareCopies.checked(f, data, url + " (backup " + backup + ", " + diskName(f) + ")");
    }
}
