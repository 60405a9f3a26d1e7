package org.virtbackup.impl.firmware;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.FirmwareFile;
import org.virtbackup.impl.config.Paths;

/**
 * The copies of a domain's firmware state in a backup's directory, under {@value #DIRECTORY}/:
 * {@code nvram.fd} and {@code tpm/<file>}, each 0600. QEMU and swtpm write these files while
 * the guest runs, with nothing to freeze them by: a file is read until two reads agree (else the
 * backup fails), so a copy is never torn, but it is the state of the moment it was read.
 */
public final class FirmwareCopies {

    static final String DIRECTORY = "firmware";
    private static final Logger LOG = LoggerFactory.getLogger(FirmwareCopies.class);
    private static final int READS = 5;
    /** The largest firmware file copied: OVMF's NVRAM is 528 KiB (4M build), a TPM's state some KiB. */
    public static final long MAX_BYTES = 16L << 20;

    private FirmwareCopies() {
    }

    /** Copies the domain's firmware state into the backup's directory; what was copied, in order. */
    public static List<FirmwareFile> capture(FirmwareState state, Path backupDirectory) {
        List<FirmwareFile> files = new ArrayList<>();
        try {
            if (state.nvram() != null) {
                if (!Files.isRegularFile(state.nvram())) {
                    // libvirt makes it from its template at the first start: a guest never started has none yet
                    LOG.info("No NVRAM file {} yet: the domain was never started; nothing to keep", state.nvram());
                } else {
                    files.add(copy(FirmwareFile.NVRAM, state.nvram(), backupDirectory, "nvram.fd"));
                }
            }
            if (state.tpm() != null && Files.isDirectory(state.tpm())) {
                for (Path f : tpmFiles(state.tpm())) {
                    files.add(copy(FirmwareFile.TPM, f, backupDirectory, f.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new BackupException(ErrorCode.IO_ERROR, "copying the domain's firmware state: " + e.getMessage(), e);
        }
        return files;
    }

    /** Where a backup keeps the copy of this file. */
    public static Path of(Path backupDirectory, FirmwareFile file) {
        Path dir = backupDirectory.resolve(DIRECTORY);
        return file.kind().equals(FirmwareFile.NVRAM) ? dir.resolve(file.name()) : dir.resolve("tpm").resolve(file.name());
    }

    /** The copy's bytes, checked against its SHA-256; {@code CHAIN_BROKEN} if it is missing or differs. */
    public static byte[] read(Path backupDirectory, FirmwareFile file) {
        Path copy = of(backupDirectory, file);
        try {
            return checked(file, Files.readAllBytes(copy), copy.toString());
        } catch (IOException e) {
            throw new BackupException(ErrorCode.CHAIN_BROKEN, "cannot read " + copy + ": " + e.getMessage(), e);
        }
    }

    /** The bytes read for a file from {@code where}, if they are what the backup recorded; else {@code CHAIN_BROKEN}. */
    public static byte[] checked(FirmwareFile file, byte[] bytes, String where) {
        if (bytes.length != file.size() || !sha256(bytes).equals(file.sha256())) {
            throw new BackupException(ErrorCode.CHAIN_BROKEN, where + " is not the firmware file " + file.name()
                    + " the backup recorded (size or SHA-256 differs)");
        }
        return bytes;
    }

    /** The TPM state files (swtpm's {@code .lock} is no state). */
    static List<Path> tpmFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                    .filter(f -> !f.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static FirmwareFile copy(String kind, Path source, Path backupDirectory, String name) throws IOException {
        if (Files.size(source) > MAX_BYTES) {
            throw new BackupException(ErrorCode.INVALID_STATE, source + " is larger than " + MAX_BYTES
                    + " bytes: no firmware state file is");
        }
        byte[] bytes = Files.readAllBytes(source);
        boolean agreed = false;
        for (int i = 1; i < READS && !agreed; i++) {
            byte[] again = Files.readAllBytes(source);
            agreed = Arrays.equals(bytes, again);
            bytes = again; // written meanwhile: read until two reads agree
        }
        if (!agreed) {
            throw new BackupException(ErrorCode.IO_ERROR, source + " changed under each of " + READS + " reads: no "
                    + "copy of it can be told whole; the backup is not taken (run it again)");
        }
        FirmwareFile file = new FirmwareFile(kind, name, bytes.length, sha256(bytes));
        Path copy = of(backupDirectory, file);
        Paths.privateDirectory(copy.getParent());
        Paths.writeDurably(copy, bytes);
        return file;
    }
}
