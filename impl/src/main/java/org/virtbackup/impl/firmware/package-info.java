/**
 * A domain's firmware state, kept with its backups and put back by restores: a UEFI guest's
 * NVRAM file and an emulated TPM's state ({@link org.virtbackup.impl.firmware.FirmwareState}
 * says where they are, {@link org.virtbackup.impl.firmware.FirmwareCopies} keeps them in a
 * backup's directory, {@link org.virtbackup.impl.firmware.FirmwareRestore} writes them for a
 * restored domain).
 */
package org.virtbackup.impl.firmware;
