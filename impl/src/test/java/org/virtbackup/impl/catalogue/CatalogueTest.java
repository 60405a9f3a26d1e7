package org.virtbackup.impl.catalogue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupDisk;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.BackupMode;
import org.virtbackup.api.DomainRef;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.api.JobState;
import org.virtbackup.impl.fakes.FakeLibvirt;
import org.virtbackup.impl.storage.DirectoryTarget;
import org.virtbackup.impl.xml.BackupXml;

class CatalogueTest {

    private static final String DOMAIN_XML = "<domain type='kvm'><name>vm</name></domain>";

    @TempDir
    Path tmp;

    private final BackupXml xml = new BackupXml();

    private Backup backup(DomainRef domain, Instant created) {
        UUID uuid = UUID.randomUUID();
        return new Backup(uuid, domain, "", created, null, null, BackupKind.FULL, BackupMode.MANAGED,
                JobState.RUNNING, null, "", List.of(new BackupDisk("vda", "qcow2", "/x/vda.qcow2", 1 << 20, 0)));
    }

    @Test
    void survivesAReloadFromDisk() {
        DirectoryTarget target = DirectoryTarget.at(tmp.resolve("root"), FakeLibvirt.qemuAsRoot());
        DomainRef vm = new DomainRef("vm", UUID.randomUUID());
        Catalogue first = new Catalogue(xml);
        Backup older = backup(vm, Instant.ofEpochSecond(1000));
        Backup newer = backup(vm, Instant.ofEpochSecond(2000));
        first.put(new CatalogueEntry(newer, DOMAIN_XML, target.create(vm, newer.uuid())));
        first.put(new CatalogueEntry(older, DOMAIN_XML, target.create(vm, older.uuid())));
        first.update(older.withState(JobState.COMPLETED, Instant.ofEpochSecond(1100), ""));

        Catalogue second = new Catalogue(xml);
        second.load(target.backups());
        assertEquals(List.of(older.uuid(), newer.uuid()),
                second.all().stream().map(e -> e.backup().uuid()).toList(), "oldest first");
        assertEquals(JobState.COMPLETED, second.require(older.uuid()).backup().state());
        assertTrue(second.require(older.uuid()).domainXml().contains("<name>vm</name>"));
    }

    @Test
    void directoriesAre0700AndDescriptors0600() throws Exception {
        DirectoryTarget target = DirectoryTarget.at(tmp.resolve("root"), FakeLibvirt.qemuAsRoot());
        DomainRef vm = new DomainRef("vm", UUID.randomUUID());
        Backup b = backup(vm, Instant.now());
        Path dir = target.create(vm, b.uuid());
        new Catalogue(xml).put(new CatalogueEntry(b, DOMAIN_XML, dir));
        for (Path p : List.of(target.root(), dir.getParent(), dir)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(DescriptorFile.in(dir))));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(DescriptorFile.NAME), files.map(p -> p.getFileName().toString()).toList(),
                    "no temp file left behind");
        }
    }

    @Test
    void aTornOrForeignDescriptorIsSkippedNotFatal() throws Exception {
        DirectoryTarget target = DirectoryTarget.at(tmp.resolve("root"), FakeLibvirt.qemuAsRoot());
        DomainRef vm = new DomainRef("vm", UUID.randomUUID());
        Backup good = backup(vm, Instant.now());
        new Catalogue(xml).put(new CatalogueEntry(good, DOMAIN_XML, target.create(vm, good.uuid())));
        Path bad = target.create(vm, UUID.randomUUID());
        Files.writeString(DescriptorFile.in(bad), "<domainbackup><uuid>");

        Catalogue c = new Catalogue(xml);
        c.load(target.backups());
        assertEquals(1, c.all().size());
        assertTrue(c.get(good.uuid()).isPresent());
    }

    @Test
    void unknownUuidIsNoBackup() {
        BackupException e = assertThrows(BackupException.class, () -> new Catalogue(xml).require(UUID.randomUUID()));
        assertEquals(ErrorCode.NO_BACKUP, e.code());
    }

    @Test
    void targetRefusesToRemoveOutsideItsRoot() {
        DirectoryTarget target = DirectoryTarget.at(tmp.resolve("root"), FakeLibvirt.qemuAsRoot());
        BackupException e = assertThrows(BackupException.class, () -> target.remove(tmp));
        assertEquals(ErrorCode.INVALID_TARGET, e.code());
        assertTrue(Files.exists(tmp));
        BackupException dots = assertThrows(BackupException.class,
                () -> target.remove(target.root().resolve("a/b/../../..")));
        assertEquals(ErrorCode.INVALID_TARGET, dots.code());
        assertFalse(Files.notExists(target.root()));
    }
}
