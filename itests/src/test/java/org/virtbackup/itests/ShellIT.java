package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.JobState;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;

/** The backup:* commands, as an operator types them, against a real guest. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellIT extends BackupTestSupport {

    @Test
    public void tabCompletesDomainNamesAndBackupUuids() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-complete", 16 * MiB)) {
            String prefix = guest.name().substring(0, guest.name().length() - 3);
            List<String> domains = complete("backup:create " + prefix);
            assertTrue(domains.toString(), domains.contains(guest.name()));
            assertTrue("only names that begin so: " + domains, domains.stream().allMatch(d -> d.startsWith(prefix)));
            assertTrue(complete("backup:list " + prefix).contains(guest.name()));

            org.virtbackup.api.Backup b = backupService().create(guest.name(), (String) null, Set.of());
            assertEquals(JobState.COMPLETED, backupService().finishJob(b.uuid(), Set.of()));
            String uuid = b.uuid().toString();
            for (String line : List.of("backup:info ", "backup:delete ", "backup:restore ", "backup:finish ",
                    "backup:children ")) {
                List<String> offered = complete(line + uuid.substring(0, 6));
                assertTrue(line + offered, offered.contains(uuid));
            }
            String listed = executeCommand("backup:domains").lines().filter(l -> l.contains(guest.name())).findFirst()
                    .orElseThrow(() -> new AssertionError("backup:domains does not list " + guest.name()));
            assertTrue(listed, listed.matches(".*\\|\\s*1\\s*$")); // its one backup
            List<String> parents = complete("backup:create --parent " + uuid.substring(0, 6));
            assertTrue("an option's value completes too: " + parents, parents.contains(uuid));
            assertTrue(complete("backup:info zz").isEmpty());
            backupService().delete(b.uuid(), Set.of());
        }
    }

    @Test
    public void anOperatorBacksUpInspectsAndDeletes() throws Exception {
        try (Guest guest = Guest.start(workDir(), "it-shell", 32 * MiB)) {
            guest.write(0, 0x5a, 0, 2 * MiB);

            String created = executeCommand("backup:create --wait --description nightly " + guest.name());
            List<String> lines = created.strip().lines().toList();
            UUID uuid = UUID.fromString(lines.get(lines.size() - 1).strip());
            assertTrue("progress is shown: " + created, created.contains("100%"));
            assertEquals(JobState.COMPLETED, backupService().lookup(uuid).orElseThrow().state());
            assertTrue(Images.holds(Path.of(backupService().lookup(uuid).orElseThrow().disks().get(0).target()),
                    0x5a, 0, 2 * MiB));

            String list = executeCommand("backup:list " + guest.name());
            assertTrue(list, list.contains(uuid.toString()) && list.contains("completed") && list.contains("vda"));

            String info = executeCommand("backup:info " + uuid);
            assertTrue(info, info.contains("<domainbackup>") && info.contains("<description>nightly</description>")
                    && info.contains("<name>" + guest.name() + "</name>"));

            String params = executeCommand("backup:params " + uuid);
            assertTrue(params, params.contains("bytes.total") && params.contains(Long.toString(32 * MiB)));

            assertEquals("completed", executeCommand("backup:finish --check " + uuid).strip());

            // Karaf's RBAC: a viewer reads the catalogue but restores, exports and deletes nothing.
            String viewed = executeCommandAs("backup:list " + guest.name(), "viewer");
            assertTrue(viewed, viewed.contains(uuid.toString()));
            // An administrator without viewer follows what he starts (Karaf's roles do not imply each other).
            String followed = executeCommandAs("backup:params " + uuid, "admin");
            assertTrue(followed, followed.contains("bytes.total"));
            Path forbidden = itestDir().resolve("shell-viewer-" + uuid + ".qcow2");
            for (String denied : List.of("backup:restore --disk vda=" + forbidden + " " + uuid,
                    "backup:export " + guest.name(), "backup:delete " + uuid, "backup:create " + guest.name())) {
                AssertionError refused = assertThrows(AssertionError.class, () -> executeCommandAs(denied, "viewer"));
                // Karaf's secured shell hides a command from a user who may not run it.
                assertTrue(denied + ": " + refused.getMessage(),
                        refused.getMessage().contains("Command not found: " + denied.split(" ")[0]));
            }
            // BackupService itself, whoever calls it: a viewer reads, but restores and deletes nothing;
            // a caller holding no role gets nothing at all.
            org.virtbackup.api.BackupService service = backupService();
            assertEquals(List.of(uuid), as(subject("viewer"), () -> service.list(guest.name(), Set.of()))
                    .stream().map(org.virtbackup.api.Backup::uuid).toList());
            String restoreXml = "<domainbackup><uuid>" + uuid + "</uuid><disks><disk name='vda'><target file='"
                    + forbidden + "'/></disk></disks></domainbackup>";
            assertThrows(SecurityException.class,
                    () -> as(subject("viewer"), () -> service.restore(restoreXml, Set.of())));
            assertThrows(SecurityException.class, () -> as(subject("viewer"), () -> {
                service.delete(uuid, Set.of());
                return null;
            }));
            assertThrows(SecurityException.class,
                    () -> as(new javax.security.auth.Subject(), () -> service.list(null, Set.of())));
            assertFalse(Files.exists(forbidden));
            assertEquals(List.of(uuid), backupService().list(guest.name(), Set.of()).stream()
                    .map(org.virtbackup.api.Backup::uuid).toList());

            Path restored = itestDir().resolve("shell-restore-" + uuid + ".qcow2");
            String restore = executeCommand("backup:restore --wait --verify --disk vda=" + restored + " " + uuid);
            assertTrue(restore, restore.contains("vda -> " + restored + " (verified)"));
            assertTrue(Images.holds(restored, 0x5a, 0, 2 * MiB));
            Files.delete(restored);

            guest.write(0, 0x6e, 8 * MiB, 1 * MiB);
            String inc = executeCommand("backup:create --wait --incremental " + guest.name());
            assertTrue(inc, inc.contains("incremental since " + uuid));
            List<String> incLines = inc.strip().lines().toList();
            UUID child = UUID.fromString(incLines.get(incLines.size() - 1).strip());
            assertTrue(executeCommand("backup:children " + uuid).contains(child.toString()));
            String incrementals = executeCommand("backup:list --incremental " + guest.name());
            assertTrue(incrementals, incrementals.contains(child.toString()) && !incrementals.contains(uuid.toString()));

            String merged = executeCommand("backup:delete --merge --wait " + uuid);
            assertTrue(merged, merged.contains("deleted " + uuid + " (merged into its children) in "));
            assertTrue(backupService().lookup(uuid).isEmpty());
            assertEquals(BackupKind.FULL, backupService().lookup(child).orElseThrow().kind());
            assertTrue(Images.holds(Path.of(backupService().lookup(child).orElseThrow().disks().get(0).target()),
                    0x5a, 0, 2 * MiB));
            String recorded = executeCommand("backup:domain " + child);
            assertTrue(recorded, recorded.startsWith(guest.name() + " "));
            executeCommand("backup:delete " + child);
            assertTrue(backupService().lookup(child).isEmpty());

            String started = executeCommand("backup:create " + guest.name()).strip();
            String last = started.lines().reduce((a, b) -> b).orElseThrow().strip();
            String finished = executeCommand("backup:finish --wait " + last);
            assertTrue("progress, then the state: " + finished, finished.contains("100%")
                    && finished.strip().endsWith("completed"));
            Cmd.ok("virsh", "-c", Guest.URI, "destroy", guest.name()); // else libvirt leaves it transient
            String undefined = executeCommand("backup:undefine --with-backups " + guest.name());
            assertTrue(undefined, undefined.contains("1 backups deleted"));
            assertTrue(backupService().list(guest.name(), Set.of()).isEmpty());
            assertTrue("the domain is gone", Cmd.run("virsh", "-c", Guest.URI, "dominfo", guest.name()).exitCode() != 0);
        }
    }
}
