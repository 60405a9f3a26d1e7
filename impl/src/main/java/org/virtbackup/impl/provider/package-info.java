/**
 * The backup engines, each a {@code BackupProvider} component: {@code managed} (copies into a
 * storage target), {@code unmanaged} (NBD exports a third party reads), and what both share:
 * libvirt's pull-mode NBD export ({@code nbd}) and the job found already ended after a restart.
 */
package org.virtbackup.impl.provider;
