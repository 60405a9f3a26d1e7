/**
 * Policies: scheduled backups of many domains, retention and verification. A policy is a
 * factory configuration ({@code org.virtbackup.policy}) of the implementation;
 * {@link org.virtbackup.api.policy.PolicyService} shows the policies, runs one now, and prunes
 * by one's retention (or says what a prune would do).
 */
@Version("1.0.0")
@Export
package org.virtbackup.api.policy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
