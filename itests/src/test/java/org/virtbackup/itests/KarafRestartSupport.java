package org.virtbackup.itests;

import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.nio.file.Path;

import org.ops4j.pax.exam.Option;

/**
 * Configures a target directory outside Karaf's data directory, so that the backups of one
 * container are there for the next: what a restart of Karaf looks like to the catalogue.
 */
public abstract class KarafRestartSupport extends BackupTestSupport {

    static final int PATTERN = 0x6c;

    @Override
    protected Option[] additionalOptions() {
        String dir = System.getProperty(ITEST_DIR, "/var/tmp/virt-backup-itest") + "/karaf-restart-target";
        return org.ops4j.pax.exam.OptionUtils.combine(super.additionalOptions(),
                editConfigurationFilePut("etc/org.virtbackup.cfg", "target.directory", dir));
    }

    @Override
    protected Path targetRoot() {
        return itestDir().resolve("karaf-restart-target");
    }

    /** Where the first Karaf leaves the backup's UUID and domain name for the second. */
    protected Path marker() {
        return itestDir().resolve("karaf-restart.marker");
    }
}
