package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.features;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Hashtable;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupEvents;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupParameters;
import org.virtbackup.api.BackupService;
import org.virtbackup.api.BackupTarget;
import org.virtbackup.api.CollectResult;
import org.virtbackup.api.CopyResult;
import org.virtbackup.api.CreateFlag;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Twin;
import org.virtbackup.s3.testing.S3Server;

/**
 * Repositories on object storage: Karaf with the virt-backup-s3 feature and an endpoint
 * configured for a real S3 server on loopback (s3proxy, started by each test), backing up real
 * guests into {@code s3://BUCKET/PREFIX} and restoring them, as RepositoryIT does locally.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RepositoryS3IT extends RepositoryTestSupport {

    private static final String BUCKET = "itest-backups";
    private static final String ACCESS = "itest";

    @Override
    protected Option[] additionalOptions() {
        String port = Integer.toString(S3Server.freePort());
        String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        Path secretFile = secretFile(secret);
        String cfg = "etc/org.virtbackup.s3-itest.cfg";
        return OptionUtils.combine(super.additionalOptions(),
                features(maven("org.virtbackup", "virt-backup-features").type("xml").classifier("features")
                        .version(System.getProperty("virtbackup.version")), "virt-backup-s3"),
                editConfigurationFilePut(cfg, "name", "itest"),
                editConfigurationFilePut(cfg, "endpoint", "http://127.0.0.1:" + port),
                editConfigurationFilePut(cfg, "buckets", "itest-*"),
                editConfigurationFilePut(cfg, ".access.key", ACCESS),
                editConfigurationFilePut(cfg, ".secret.key.file", secretFile.toString()), // inline, the file would have to be 0600
                editConfigurationFilePut(cfg, "part.size.mib", "5"),
                systemProperty("virtbackup.s3.port").value(port),
                systemProperty("virtbackup.s3.secret").value(secret));
    }

    /** The secret in a file of the owner's only, as the README recommends; removed when the tests end. */
    private static Path secretFile(String secret) {
        try {
            Path file = Files.createTempFile("virt-backup-itest-s3-", ".secret",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, secret);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private S3Server server(String name) throws Exception {
        return S3Server.start(scratchDir("s3-" + name), Integer.parseInt(System.getProperty("virtbackup.s3.port")), ACCESS,
                System.getProperty("virtbackup.s3.secret"), BUCKET);
    }

    private static String s3(String name) {
        return "s3://" + BUCKET + "/" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    public void backupsOfARunningAndAShutOffGuestIntoS3RestoreWholeAndACollectionReclaimsWhatADeleteLeft() throws Exception {
        BackupService backups = backupService();
        String url = s3("running");
        List<Event> seen = Collections.synchronizedList(new ArrayList<>());
        Dictionary<String, Object> topic = new Hashtable<>(Map.of(EventConstants.EVENT_TOPIC,
                BackupEvents.TOPIC_ALL));
        ServiceRegistration<EventHandler> events = bundleContext.registerService(EventHandler.class, seen::add, topic);
        try (S3Server server = server("running"); Guest guest = Guest.start(workDir(), "it-s3", SIZE)) {
            backups.setDefaultTarget(guest.name(), "<target type='repository'><url>" + url + "</url></target>", Set.of());
            Twin twin = new Twin(guest, SIZE);
            twin.write(0x31, 0, 8 * MiB);
            twin.write(0x32, 40 * MiB, 3 * MiB);
            Backup full = backup(backups, guest, null, Set.of());
            Path fullExpected = twin.snapshot();
            assertEquals(BackupKind.FULL, full.kind());
            assertTrue(full.inRepository());
            assertEquals(url, full.disks().get(0).target());
            Path prefix = server.bucket(BUCKET).resolve(url.substring(url.lastIndexOf('/') + 1));
            assertTrue("the repository's objects are in the bucket: " + prefix, Files.isRegularFile(prefix.resolve("config")));

            twin.write(0x41, 4 * MiB, 1 * MiB);
            twin.write(0x42, 40 * MiB, 3 * MiB); // all of 0x32 gone: only the full backup names its chunks
            Backup incremental = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));
            Path incrementalExpected = twin.snapshot();
            assertEquals(full.uuid(), incremental.parent());
            Map<String, Object> params = backups.getParameters(incremental.uuid());
            long stored = (Long) params.get(BackupParameters.BYTES_STORED);
            assertTrue("an incremental stores what changed: " + params, stored > 0 && stored < 5 * MiB);

            Path out = scratchDir("s3-restore");
            assertRestores(backups, full, out.resolve("full.qcow2"), fullExpected, "qcow2");
            assertRestores(backups, incremental, out.resolve("incremental.qcow2"), incrementalExpected, "qcow2");
            assertTrue(backups.verify(incremental.uuid()).whole());

            backups.delete(full.uuid(), Set.of());
            waitUntil("the full backup's life is posted", 10, () -> topics(seen, full).contains(BackupEvents.DELETED));
            List<String> life = topics(seen, full);
            assertEquals(BackupEvents.STARTED, life.get(0));
            assertTrue(life.toString(), life.contains(BackupEvents.COMPLETED) && life.contains(BackupEvents.RESTORED));
            assertEquals(BackupEvents.DELETED, life.get(life.size() - 1));
            List<CollectResult> collected = backups.collect(url);
            assertTrue("the full backup's own chunks go: " + collected, collected.get(0).chunksRemoved() > 0);
            assertRestores(backups, incremental, out.resolve("after-gc.qcow2"), incrementalExpected, "qcow2");

            // Shut off: read from a local export of its image, into the same repository.
            guest.shutOff();
            Backup off = backup(backups, guest, null, Set.of());
            assertRestores(backups, off, out.resolve("shut-off.qcow2"), incrementalExpected, "qcow2");
            backups.delete(off.uuid(), EnumSet.of(DeleteFlag.ALL)); // and the incremental: every backup of the domain
            assertTrue(backups.list(guest.name(), Set.of()).isEmpty());
            backups.collect(url);
            assertFalse("nothing of the domain stays after a collection", Files.exists(prefix.resolve("packs"))
                    && Files.walk(prefix.resolve("packs")).anyMatch(Files::isRegularFile));
            backups.setDefaultTarget(guest.name(), BackupTarget.global(), Set.of());
        } finally {
            events.unregister();
        }
    }

    private static List<String> topics(List<Event> seen, Backup b) {
        synchronized (seen) {
            return seen.stream().filter(e -> b.uuid().toString().equals(e.getProperty(BackupEvents.BACKUP)))
                    .map(Event::getTopic).toList();
        }
    }

    @Test
    public void aBackupCopiedToS3AndOnToAnotherPrefixSendsOnlyWhatIsMissingAndRestoresThereAlone() throws Exception {
        BackupService backups = backupService();
        String local = repository("copy-source");
        String offsite = s3("copy-offsite");
        String further = s3("copy-further");
        Path random = Images.randomFile(scratchDir("s3-copy-data").resolve("random.bin"), 16);
        try (S3Server server = server("copy");
                Guest guest = Guest.startFilled(workDir(), "it-s3-copy", SIZE, image -> Images.writeFile(image, random, 0))) {
            Files.delete(random);
            Path expected = Files.copy(guest.disk(0), guest.workDir().resolve("expected.qcow2"));
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(local), Set.of());
            Backup first = backup(backups, guest, null, Set.of());
            guest.write(0, 0x52, 32 * MiB, 2 * MiB);
            Images.write(expected, 0x52, 32 * MiB, 2 * MiB);
            Backup second = backup(backups, guest, null, EnumSet.of(CreateFlag.INCREMENTAL));

            CopyResult one = backups.copy(first.uuid(), offsite);
            assertEquals(offsite, one.repository());
            assertTrue("the first copy sends its 16 MiB of random data: " + one, one.bytesStored() >= 16 * MiB
                    && one.chunks() == 16);
            CopyResult two = backups.copy(second.uuid(), offsite);
            assertTrue("the second sends only what the first did not (2 MiB of one byte, compressed): " + two,
                    two.bytesStored() > 0 && two.bytesStored() < MiB && two.bytesFound() >= 16 * MiB && two.chunks() == 18);
            expectError(ErrorCode.INVALID_ARGUMENT, () -> backups.copy(second.uuid(), offsite));

            // The originals go: the copies alone restore.
            backups.delete(first.uuid(), EnumSet.of(DeleteFlag.ALL)); // every backup of the domain
            backups.collect(local);
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(offsite), Set.of());
            assertEquals(2, backups.refresh(offsite).get(0).added());
            assertEquals(offsite, backups.lookup(second.uuid()).orElseThrow().disks().get(0).target());
            Path out = scratchDir("s3-copy");
            assertRestores(backups, backups.lookup(second.uuid()).orElseThrow(), out.resolve("from-offsite.qcow2"), expected,
                    "qcow2");

            // S3 to S3.
            CopyResult on = backups.copy(second.uuid(), further);
            assertTrue(on.toString(), on.bytesStored() > 0);
            backups.delete(first.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.setDefaultTarget(guest.name(), BackupTarget.repository(further), Set.of());
            assertEquals(1, backups.refresh(further).get(0).added());
            assertRestores(backups, backups.lookup(second.uuid()).orElseThrow(), out.resolve("from-further.qcow2"), expected,
                    "qcow2");
            backups.delete(second.uuid(), EnumSet.of(DeleteFlag.ALL));
            backups.setDefaultTarget(guest.name(), BackupTarget.global(), Set.of());
        }
    }

    @Test
    public void aBucketNoEndpointServesOrAURLWithCredentialsIsRefusedSayingWhy() throws Exception {
        BackupService backups = backupService();
        try (Guest guest = Guest.start(workDir(), "it-s3-bad", SIZE)) {
            String none = expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    BackupTarget.repository("s3://other-bucket/x"), Set.of())).getMessage();
            assertTrue(none, none.contains("no S3 endpoint") && none.contains("org.virtbackup.s3"));
            String creds = expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    BackupTarget.repository("s3://key:secret@" + BUCKET + "/x"), Set.of())).getMessage();
            assertTrue(creds, creds.contains("no credentials"));
            assertFalse(creds, creds.contains("secret@"));
            // An AWS secret key may hold '/': the URL then parses oddly, and must still not be quoted.
            String slashed = expectError(ErrorCode.INVALID_TARGET, () -> backups.setDefaultTarget(guest.name(),
                    BackupTarget.repository("s3://AKIAEXAMPLE:wJal/rXUtn@" + BUCKET + "/x"), Set.of())).getMessage();
            assertFalse(slashed, slashed.contains("wJal") || slashed.contains("AKIAEXAMPLE"));
        }
    }
}
