package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.OptionUtils;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/**
 * A repository made while a key is configured is encrypted: no file of it holds the guest's data
 * or its domain's name in the clear (RepositoryIT's plain control finds the same kind of data),
 * and its backups restore whole. Karaf boots with the key set; what another key or none does is
 * shown by RepositoryHostIT, on a second Karaf.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RepositoryEncryptionIT extends RepositoryTestSupport {

    /** A key file made for this run, 0600, in the scratch space. */
    private static final Path KEY = keyFile();

    @Override
    protected Option[] additionalOptions() {
        return OptionUtils.combine(super.additionalOptions(),
                editConfigurationFilePut("etc/org.virtbackup.cfg", "repository.key.file", KEY.toString()));
    }

    @Test
    public void noFileOfAnEncryptedRepositoryHoldsTheGuestsDataOrItsNameAndItsBackupsRestoreWhole() throws Exception {
        Path dir = scratchDir("repo-sealed");
        byte[] secret = new byte[(int) MiB];
        new SecureRandom().nextBytes(secret);
        Path secretFile = Files.write(dir.resolve("secret.bin"), secret);
        BackupService backups = backupService();
        String url = repository("sealed");
        try (Guest guest = Guest.startFilled(workDir(), "it-repo-sealed", SIZE, image -> Images.writeFile(image, secretFile, 8 * MiB))) {
            Path expected = Files.copy(guest.disk(0), guest.workDir().resolve("expected.qcow2"));
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(url), Set.of());
            Backup b = backup(backups, guest, null, Set.of());
            Path root = repositoryDirectory(url);
            assertFalse("the guest's data is nowhere in the clear", holds(root, Arrays.copyOfRange(secret, 4096, 4096 + 48)));
            assertFalse("the domain's name is nowhere in the clear", holds(root, guest.name().getBytes(StandardCharsets.UTF_8)));
            String config = Files.readString(root.resolve("config"));
            assertTrue(config, config.contains("encryption=aes-256-gcm") && config.matches("(?s).*key-fingerprint=[0-9a-f]{32}.*"));
            assertFalse("the key is nowhere in the repository", holds(root, Files.readString(KEY).strip().getBytes(StandardCharsets.US_ASCII)));
            assertRestores(backups, b, scratchDir("repo-sealed-restore").resolve("vda.qcow2"), expected, "qcow2");
            assertTrue(backups.verify(b.uuid()).whole());
            assertEquals(Set.of(), Set.copyOf(backups.verify(b.uuid()).damagedBackups()));
            backups.delete(b.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.collect(url);
        }
    }

    private static Path keyFile() {
        try {
            Path dir = Files.createDirectories(Path.of(System.getProperty(ITEST_DIR, "/var/tmp/virt-backup-itest")));
            Path key = dir.resolve("repository-encryption-it.key");
            Files.deleteIfExists(key);
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            Files.writeString(key, HexFormat.of().formatHex(bytes) + "\n");
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
