package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.UUID;

import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.RestoreFlag;
import org.virtbackup.api.RestoreResult;
import org.virtbackup.itests.support.Cmd;

/** What the repository tests share: new repositories in the target roots, restores checked against images, searches. */
public abstract class RepositoryTestSupport extends BackupTestSupport {

    protected static final long SIZE = 64 * MiB;

    /** Whether any file under the directory holds these bytes. */
    protected static boolean holds(Path dir, byte[] needle) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] hay = Files.readAllBytes(f);
                outer:
                for (int i = 0; i + needle.length <= hay.length; i++) {
                    for (int j = 0; j < needle.length; j++) {
                        if (hay[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    return true;
                }
            }
        }
        return false;
    }

    /** Restores the backup's disk vda into a new image and checks it against what the disk held. */
    protected void assertRestores(BackupService backups, Backup b, Path target, Path expected, String format) {
        assertRestores(backups, b, target, expected, format, SIZE);
    }

    protected void assertRestores(BackupService backups, Backup b, Path target, Path expected, String format, long size) {
        RestoreResult r = backups.restore("<domainbackup><uuid>" + b.uuid() + "</uuid><disks><disk name='vda'><target file='"
                + target + "'/></disk></disks></domainbackup>", EnumSet.of(RestoreFlag.VERIFY));
        assertEquals(Boolean.TRUE, r.disks().get(0).verified());
        Cmd.Result c = Cmd.run("qemu-img", "compare", "-f", format, "-F", "qcow2", target.toString(), expected.toString());
        assertEquals("qemu-img compare " + target + " " + expected + ":\n" + c.output(), 0, c.exitCode());
        if (format.equals("raw")) {
            assertEquals(size, target.toFile().length());
        }
    }

    protected static Path repositoryDirectory(String url) {
        return Path.of(url.substring("file://".length()));
    }

    /** A new repository's URL, inside the configured target roots. */
    protected String repository(String name) {
        return "file://" + Path.of(System.getProperty("karaf.data"), "virt-backup-targets", name + "-"
                + UUID.randomUUID().toString().substring(0, 8));
    }
}
