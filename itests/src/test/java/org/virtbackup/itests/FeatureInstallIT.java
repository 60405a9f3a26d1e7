package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.apache.karaf.features.BundleInfo;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.ErrorCode;

/**
 * Smoke test: the feature installs into a plain Karaf, every bundle is active, the shell sees it,
 * and the feature's own configurations guard the service (this Karaf boots without our ACL files).
 */
public class FeatureInstallIT extends VirtBackupTestSupport {

    @Override
    protected boolean aclFilesAtBoot() {
        return false;
    }

    /** Symbolic names of the bundles the feature must bring up. */
    private static final List<String> BUNDLES = List.of(
            "virt-backup-api", "virt-backup-impl", "virt-backup-shell",
            "com.sun.jna",
            "jakarta.activation-api", "angus-activation", "jakarta.xml.bind-api",
            "com.sun.istack.commons-runtime", "org.glassfish.jaxb.txw2",
            "org.glassfish.jaxb.core", "org.glassfish.jaxb.runtime");

    @Test
    public void featureIsInstalled() throws Exception {
        FeaturesService features = service(FeaturesService.class, SERVICE_TIMEOUT_MS);
        Feature feature = features.getFeature("virt-backup");
        assertNotNull("feature virt-backup is not in any repository", feature);
        assertTrue("feature virt-backup is not installed", features.isInstalled(feature));
        assertFalse(feature.getBundles().isEmpty());
        for (BundleInfo info : feature.getBundles()) {
            Bundle b = bundleContext.getBundle(info.getLocation());
            assertNotNull("bundle " + info.getLocation() + " of the feature is not installed", b);
            assertEquals(info.getLocation() + " (" + b.getSymbolicName() + ")", "ACTIVE", state(b));
        }
    }

    @Test
    public void everyBundleIsActive() {
        for (String name : BUNDLES) {
            assertEquals(name, "ACTIVE", state(bundle(name)));
        }
    }

    @Test
    public void shellSeesTheFeature() {
        String out = executeCommand("feature:list -i");
        assertTrue("feature:list -i does not list virt-backup:\n" + out, out.contains("virt-backup"));
    }

    @Test
    public void theFeaturesConfigurationsGuardTheService() throws Exception {
        // Calls that need no libvirt: this smoke test runs without a hypervisor.
        BackupService backups = service(BackupService.class, SERVICE_TIMEOUT_MS);
        UUID none = UUID.randomUUID();
        assertNotNull(as(subject("viewer"), () -> backups.list(null, Set.of())));
        try {
            as(subject("viewer"), () -> backups.verify(none));
            fail("a viewer verified a backup");
        } catch (SecurityException expected) {
            assertEquals("Insufficient credentials.", expected.getMessage());
        }
        try {
            backups.verify(none); // as the test: an administrator
            fail("a backup that does not exist was verified");
        } catch (BackupException passedTheGuard) {
            assertEquals(passedTheGuard.getMessage(), ErrorCode.NO_BACKUP, passedTheGuard.code());
        }
    }
}
