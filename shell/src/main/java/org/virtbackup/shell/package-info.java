/**
 * The {@code backup:*} commands of the Karaf shell. They use only the public
 * {@link org.virtbackup.api.BackupService}, like any other consumer bundle.
 */
package org.virtbackup.shell;
