package org.virtbackup.impl.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DiskTarget;
import org.virtbackup.api.ErrorCode;

class RequestXmlTest {

    private final RequestXml requests = new RequestXml(new BackupXml(), new InputLimits(1 << 20));

    @Test
    void aPerDiskTargetGoesToCreateAndIsInvalidInAnExport() {
        String xml = "<domainbackup><disks><disk name='vda'><target file='/srv/x.qcow2'/></disk></disks></domainbackup>";
        assertEquals(Map.of("vda", DiskTarget.file("/srv/x.qcow2")), requests.backup(xml, c -> null).request().targets());
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> requests.export(xml, c -> null)).code());
        assertEquals(List.of("vda"), requests.backup("<domainbackup><disks><disk name='vda'/></disks></domainbackup>",
                c -> null).request().disks());
    }

    @Test
    void aRestoreNamesItsBackupAndAnEmptyTargetIsTheGlobalOne() {
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(BackupException.class,
                () -> requests.restore("<domainbackup/>")).code());
        assertEquals(BackupTarget.global(), requests.target(" "));
        assertEquals(BackupTarget.pool("p"), requests.target("<target type='pool'><pool>p</pool></target>"));
    }
}
