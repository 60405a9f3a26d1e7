package org.virtbackup.impl.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How a guest's file system is mounted: the options that keep its content from acting on the host. */
class VolumeTest {

    private static Volume of(String type) {
        return new Volume("p1", 1 << 20, 64 << 20, type);
    }

    @Test
    void anExtFileSystemCannotAskTheHostToPanic() {
        for (String type : new String[] {"ext2", "ext3", "ext4"}) {
            assertTrue(of(type).options().contains(",errors=remount-ro"), type);
            assertEquals("ext4", of(type).driver(), type);
        }
        assertFalse(of("xfs").options().contains("errors="), "xfs takes no errors= option");
    }

    @Test
    void everyMountIsReadOnlyWithoutDevicesSetuidOrExecution() {
        for (String type : Volume.READ) {
            assertTrue(of(type).options().startsWith("ro,nosuid,nodev,noexec"), type);
        }
        assertEquals("ntfs3", of("ntfs").driver());
    }
}
