package org.virtbackup.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A file of a domain's firmware state kept with a backup: a UEFI guest's NVRAM (its variables,
 * Secure Boot keys among them) or a file of its emulated TPM's state (BitLocker's and LUKS's
 * sealed keys). Without them a restored guest may not boot.
 *
 * @param kind {@value #NVRAM} or {@value #TPM}
 * @param name the file's name: {@code nvram.fd}, or the TPM state file's name ({@code tpm2-00.permall});
 *        letters, digits, '.', '_', '-', up to 55 characters
 * @param size its bytes
 * @param sha256 its SHA-256, lower-case hex
 * @since 1.6
 */
public record FirmwareFile(String kind, String name, long size, String sha256) {

    public static final String NVRAM = "nvram";
    public static final String TPM = "tpm";
    /** Up to 55 characters: a repository keeps the file under "fw-<kind>-<name>", 64 at most. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,54}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public FirmwareFile {
        Objects.requireNonNull(kind, "kind");
        if (!kind.equals(NVRAM) && !kind.equals(TPM)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a firmware file is of kind nvram or tpm, not " + kind);
        }
        if (name == null || !NAME.matcher(name).matches()) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "'" + name + "' is no firmware file name");
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches() || size < 0) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "firmware file " + name + ": bad size or SHA-256");
        }
    }
}
