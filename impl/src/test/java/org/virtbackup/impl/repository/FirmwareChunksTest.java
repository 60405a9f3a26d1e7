package org.virtbackup.impl.repository;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.repository.BackupWriter;
import org.virtbackup.repository.ChunkIndex;
import org.virtbackup.repository.Manifest;
import org.virtbackup.repository.Repository;

/** Firmware files in a real repository on disk: stored as small disks of the manifest, read back whole and checked. */
class FirmwareChunksTest {

    @TempDir
    Path tmp;

    @Test
    void aFirmwareFileGoesInAsADiskOfItsOwnAndComesBackAsItWas() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("roots"));
        Repositories repositories = new Repositories(List.of(root), tmp.resolve("global"), "", "", 64 << 10, 2, false);
        String url = repositories.check("file://" + root.resolve("repo"), false);
        Repository repo = repositories.open(url);

        byte[] nvram = new byte[540672]; // OVMF's 4M NVRAM: 9 chunks of 64 KiB, some of them zeros
        for (int i = 0; i < 100_000; i++) {
            nvram[i] = (byte) (i * 7);
        }
        byte[] tpm = "TPM state".getBytes();
        FirmwareFile nv = new FirmwareFile(FirmwareFile.NVRAM, "nvram.fd", nvram.length, sha(nvram));
        FirmwareFile tp = new FirmwareFile(FirmwareFile.TPM, "tpm2-00.permall", tpm.length, sha(tpm));
        Map<FirmwareFile, byte[]> files = Map.of(nv, nvram, tp, tpm);

        UUID backup = UUID.randomUUID();
        try (BackupWriter w = repositories.writer(url, backup)) {
            FirmwareChunks.store(w, repo.config().chunkSize(), List.of(nv, tp), files::get);
            List<Manifest.Disk> disks = FirmwareChunks.written(repo, backup, List.of(nv, tp));
            assertEquals(List.of("fw-nvram-nvram.fd", "fw-tpm-tpm2-00.permall"), disks.stream().map(Manifest.Disk::name)
                    .toList());
            w.commit(new Manifest(backup, UUID.randomUUID(), Instant.now(), disks, "<domainbackup/>"));
        }
        assertArrayEquals(nvram, FirmwareChunks.read(repositories, url, backup, nv));
        assertArrayEquals(tpm, FirmwareChunks.read(repositories, url, backup, tp));

        FirmwareFile other = new FirmwareFile(FirmwareFile.TPM, "tpm2-00.permall", tpm.length, sha("other!!!!".getBytes()));
        BackupException changed = assertThrows(BackupException.class, () -> FirmwareChunks.read(repositories, url,
                backup, other));
        assertEquals(ErrorCode.CHAIN_BROKEN, changed.code());
    }

    /**
     * A manifest (in a plain repository anyone with write access can forge one) naming a firmware
     * file of a gigabyte is refused before an array of that size is made: no real one exceeds
     * {@link org.virtbackup.impl.firmware.FirmwareCopies#MAX_BYTES}.
     */
    @Test
    void aFirmwareFileLargerThanAnyRealOneIsRefusedUnread() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("roots"));
        Repositories repositories = new Repositories(List.of(root), tmp.resolve("global"), "", "", 64 << 10, 2, false);
        String url = repositories.check("file://" + root.resolve("repo"), false);
        long size = 1L << 30;
        FirmwareFile huge = new FirmwareFile(FirmwareFile.TPM, "tpm2-00.permall", size, sha(new byte[0]));
        UUID backup = UUID.randomUUID();
        try (BackupWriter w = repositories.writer(url, backup)) {
            String digest = w.writeIndex("fw-tpm-tpm2-00.permall", ChunkIndex.of(Manifest.Disk.chunkCount(size, 64 << 10)));
            w.commit(new Manifest(backup, UUID.randomUUID(), Instant.now(), List.of(new Manifest.Disk(
                    "fw-tpm-tpm2-00.permall", size, 64 << 10, Manifest.Disk.chunkCount(size, 64 << 10), digest)),
                    "<domainbackup/>"));
        }
        BackupException e = assertThrows(BackupException.class, () -> FirmwareChunks.read(repositories, url, backup, huge));
        assertEquals(ErrorCode.CHAIN_BROKEN, e.code());
        assertTrue(e.getMessage().contains("holds 1073741824 bytes"), e.getMessage());
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }
}
