/**
 * Policies (issue 16, in progress): scheduled backups, retention and verification. So far the
 * retention rules ({@link org.virtbackup.impl.policy.Retention}), as Proxmox Backup Server's
 * prune defines them.
 */
package org.virtbackup.impl.policy;
