package org.virtbackup.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigurationsTest {

    @Test
    void keysOfTheCfgFileOverrideTheMetatypeDefaults() {
        VirtBackupConfig c = Configurations.of(Map.of("target.directory", "/srv/b", "copy.parallelism", "3",
                "export.expiry.seconds", 0, "nbd.tls", true));
        assertEquals("/srv/b", c.target_directory());
        assertEquals(3, c.copy_parallelism());
        assertEquals(0L, c.export_expiry_seconds());
        assertTrue(c.nbd_tls());
        assertEquals("qemu:///system", c.libvirt_uri(), "a default");
        assertEquals("10809-10849", c.nbd_tcp_ports(), "a default");
        assertEquals(VirtBackupConfig.class, c.annotationType());
    }
}
