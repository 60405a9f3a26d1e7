package org.virtbackup.impl.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MessagesTest {

    @Test
    void joinsWhatIsSaidAndLeavesNoDanglingSeparator() {
        assertEquals("cancelled; libvirt job left", Messages.joined("cancelled", "libvirt job left"));
        assertEquals("libvirt job left", Messages.joined("", "libvirt job left"), "a job ended without a message");
        assertEquals("libvirt job left", Messages.joined(null, "libvirt job left"));
        assertEquals("cancelled", Messages.joined("cancelled", ""));
        assertEquals("", Messages.joined("", null));
    }
}
