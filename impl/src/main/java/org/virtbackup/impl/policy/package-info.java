/**
 * Policies: scheduled backups, retention and verification. A {@link
 * org.virtbackup.impl.policy.PolicyConfiguration} per factory configuration feeds the {@link
 * org.virtbackup.impl.policy.PolicyEngine} (schedules on Karaf's scheduler, catch-up, runs cut
 * short finished), which starts a {@link org.virtbackup.impl.policy.PolicyRunner} per run; the
 * {@link org.virtbackup.impl.policy.Pruner} applies the {@link org.virtbackup.impl.policy.Retention}
 * (Proxmox's rules), and the {@link org.virtbackup.impl.policy.PolicyJournal} keeps what a restart
 * must not lose.
 */
package org.virtbackup.impl.policy;
