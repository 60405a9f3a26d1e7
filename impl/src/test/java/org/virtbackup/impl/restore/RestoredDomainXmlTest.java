package org.virtbackup.impl.restore;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class RestoredDomainXmlTest {

    private static final String DOMAIN = """
            <domain type='kvm' id='7'>
              <name>web1</name>
              <uuid>3b1d3c6e-6f0e-4a43-9a36-8d7b4c3a1f00</uuid>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/libvirt/images/web1.qcow2'/>
                  <backingStore/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <disk type='block' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source dev='/dev/vg/web1-data'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
                <disk type='file' device='cdrom'>
                  <source file='/isos/install.iso'/>
                  <target dev='sda' bus='sata'/>
                </disk>
                <interface type='network'>
                  <mac address='52:54:00:12:34:56'/>
                  <source network='default'/>
                </interface>
              </devices>
            </domain>""";

    @Test
    void aRestoredDomainHasANewIdentityAndOnlyTheRestoredDisks() {
        String xml = RestoredDomainXml.of(DOMAIN, "web1-copy", Map.of("vda", new String[] {"/restore/web1-copy-vda.qcow2", "qcow2"}));
        assertTrue(xml.contains("<name>web1-copy</name>"), xml);
        assertFalse(xml.contains("<uuid>"), "libvirt gives it a new UUID: " + xml);
        assertFalse(xml.contains("52:54:00:12:34:56"), "libvirt gives it new MAC addresses: " + xml);
        assertTrue(xml.contains("<interface type=\"network\">"), "the interface itself stays: " + xml);
        assertTrue(xml.contains("/restore/web1-copy-vda.qcow2"), xml);
        assertFalse(xml.contains("/var/lib/libvirt/images/web1.qcow2"), "no image of the old domain: " + xml);
        assertFalse(xml.contains("/dev/vg/web1-data"), "a disk not restored is left out, never shared: " + xml);
        assertFalse(xml.contains("backingStore"), xml);
        assertTrue(xml.contains("/isos/install.iso"), "media stay: " + xml);
        assertFalse(xml.contains("id=\"7\""), xml);
    }
}
