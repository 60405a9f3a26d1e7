package org.virtbackup.impl.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.virtbackup.api.Backup;
import org.virtbackup.api.BackupKind;
import org.virtbackup.api.DeleteFlag;
import org.virtbackup.impl.fakes.BackupTrees;
import org.virtbackup.impl.jobs.CopyTracker;
import org.virtbackup.impl.jobs.DomainLocks;
import org.virtbackup.impl.jobs.Events;
import org.virtbackup.impl.libvirt.Checkpoints;
import org.virtbackup.impl.qemu.QemuImg;
import org.virtbackup.impl.restore.InstantRestores;

/**
 * Merges cut short at each step, on real qcow2 chains (the host's qemu-img and qemu-io): after
 * recovery every backup listed reads as before, each names the parent its image backs onto, and
 * the merged backup goes only when no child is left on it.
 */
class MergeRecoveryTest {

    @TempDir
    Path tmp;

    private BackupTrees trees;
    private final QemuImg qemuImg = new QemuImg("qemu-img", 1, Duration.ofMinutes(1));
    private ChainEditor editor;
    private MergeRecovery recovery;
    private Backup a;
    private Backup b;
    private Backup c;
    private Path expectedC;

    @BeforeEach
    void chain() throws Exception {
        trees = new BackupTrees(tmp);
        editor = new ChainEditor(trees.catalogue, trees.storage, new Checkpoints(trees.libvirt, qemuImg), qemuImg,
                new InstantRestores(trees.libvirt), new CopyTracker(), new Events(), new DomainLocks(),
                org.virtbackup.impl.config.FaultPoints.NONE);
        recovery = new MergeRecovery(trees.catalogue, trees.storage, qemuImg, editor, new DomainLocks());
        a = trees.full();
        b = trees.incremental(a);
        c = trees.incremental(b);
        image(a, null, 0x11, 0);
        image(b, a, 0x22, 1);
        image(c, b, 0x33, 2);
        expectedC = tmp.resolve("expected-c.qcow2");
        run("qemu-img", "convert", "-O", "qcow2", imageOf(c).toString(), expectedC.toString());
    }

    @Test
    void aChildRebasedButNotRecordedIsRecordedOnItsNewParentAndTheMergeEnds() throws Exception {
        rebase(c, a); // the crash: after C's rebase, before its descriptor
        MergeIntent.begin(trees.directory(b), a.uuid(), List.of(c.uuid()));

        recovery.recover(dirs());

        assertEquals(a.uuid(), trees.catalogue.require(c.uuid()).backup().parent());
        assertTrue(trees.catalogue.get(b.uuid()).isEmpty(), "every child moved: the merged backup goes");
        assertFalse(Files.exists(Path.of(b.disks().get(0).target())));
        assertIdentical(imageOf(c), expectedC);
        // The chain is whole again: merging A now rebases C, the only child it has, and loses nothing.
        editor.delete(a.uuid(), EnumSet.of(DeleteFlag.MERGE));
        assertEquals(BackupKind.FULL, trees.catalogue.require(c.uuid()).backup().kind());
        assertIdentical(imageOf(c), expectedC);
    }

    /**
     * A rebase the killed service started goes on after it (a child process outlives the JVM), and
     * changes the image's header last: recovery must not judge the child while it runs. Here a
     * qemu-io holds C's image for writing, as such a rebase would: the record stays and nothing
     * moves; once it ended (and the rebase with it), the domain's next edit finishes the merge
     * first, and merging A then loses nothing.
     */
    @Test
    void aChildStillBeingRebasedIsLeftUntilTheRebaseEndsAndTheNextEditReconcilesIt() throws Exception {
        MergeIntent.begin(trees.directory(b), a.uuid(), List.of(c.uuid()));
        Process writer = new ProcessBuilder("qemu-io", "-f", "qcow2", imageOf(c).toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start(); // waits for commands on its stdin, image open
        try {
            for (int i = 0; !qemuImg.inUse(imageOf(c)); i++) {
                assertTrue(i < 100, "qemu-io did not open " + imageOf(c) + " within 10 s");
                Thread.sleep(100);
            }
            recovery.recover(dirs());
            assertTrue(Files.exists(trees.directory(b).resolve(MergeIntent.NAME)), "the record stays");
            assertEquals(b.uuid(), trees.catalogue.require(c.uuid()).backup().parent());
            assertTrue(trees.catalogue.get(b.uuid()).isPresent());
        } finally {
            writer.getOutputStream().close(); // qemu-io ends with its input
            if (!writer.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                writer.destroyForcibly();
            }
        }
        rebase(c, a); // what that rebase had done when it ended

        editor.delete(a.uuid(), EnumSet.of(DeleteFlag.MERGE)); // the domain's next edit

        assertTrue(trees.catalogue.get(b.uuid()).isEmpty(), "the merge of B was finished first");
        assertEquals(BackupKind.FULL, trees.catalogue.require(c.uuid()).backup().kind());
        assertIdentical(imageOf(c), expectedC);
    }

    @Test
    void aMergeCutShortBeforeAnyRebaseKeepsTheTreeAsItWas() throws Exception {
        MergeIntent.begin(trees.directory(b), a.uuid(), List.of(c.uuid()));

        recovery.recover(dirs());

        assertEquals(b.uuid(), trees.catalogue.require(c.uuid()).backup().parent());
        assertTrue(trees.catalogue.get(b.uuid()).isPresent());
        assertFalse(Files.exists(trees.directory(b).resolve(MergeIntent.NAME)), "the record is gone");
        assertIdentical(imageOf(c), expectedC);
    }

    @Test
    void aMergedBackupWhoseDescriptorWentIsRemovedWithWhatIsLeft() throws Exception {
        MergeIntent.begin(trees.directory(b), a.uuid(), List.of(c.uuid()));
        rebase(c, a);
        Path bDir = trees.directory(b);
        List<Path> all = dirs();
        Backup moved = trees.catalogue.require(c.uuid()).backup();
        trees.catalogue.update(new Backup(moved.uuid(), moved.domain(), moved.description(), moved.creationTime(),
                moved.completionTime(), a.uuid(), BackupKind.INCREMENTAL, moved.mode(), moved.state(), moved.checkpoint(),
                moved.message(), moved.disks()));
        trees.catalogue.delete(b.uuid()); // the crash: after the descriptor, before the files

        recovery.recover(all);

        assertFalse(Files.exists(bDir), "nothing unlisted is left");
        assertIdentical(imageOf(c), expectedC);
    }

    @Test
    void aMergedBackupWhoseDescriptorIsUnreadableOrStillReadIsNotRemoved() throws Exception {
        MergeIntent.begin(trees.directory(b), a.uuid(), List.of(c.uuid()));
        Path bDir = trees.directory(b);
        List<Path> all = dirs();
        trees.catalogue.delete(b.uuid());
        // C still backs onto B's image (its rebase never happened): B's files must stay.
        recovery.recover(all);
        assertTrue(Files.exists(Path.of(b.disks().get(0).target())), "C still reads through B's image");
        assertIdentical(imageOf(c), expectedC);
        // An unreadable descriptor is not a missing one either.
        Files.writeString(bDir.resolve("backup.xml"), "<not a descriptor");
        rebase(c, a);
        recovery.recover(all);
        assertTrue(Files.exists(bDir.resolve("backup.xml")));
    }

    @Test
    void aRebaseThatFailsLeavesEachChildOnTheParentItsImageBacksOnto() throws Exception {
        Backup d = trees.incremental(b); // a second child of B
        image(d, b, 0x44, 3);
        Path expectedD = tmp.resolve("expected-d.qcow2");
        run("qemu-img", "convert", "-O", "qcow2", imageOf(d).toString(), expectedD.toString());
        // The second rebase fails: its image is not a qcow2 image any more.
        Path broken = imageOf(trees.catalogue.children(b.uuid(), Set.of()).get(1));
        Path kept = tmp.resolve("kept.qcow2");
        Files.move(broken, kept);
        Files.writeString(broken, "not an image");

        assertThrows(RuntimeException.class, () -> editor.delete(b.uuid(), EnumSet.of(DeleteFlag.MERGE)));
        Files.move(kept, broken, StandardCopyOption.REPLACE_EXISTING);

        Backup first = trees.catalogue.children(a.uuid(), Set.of()).stream()
                .filter(x -> !x.uuid().equals(b.uuid())).findFirst().orElseThrow();
        assertTrue(trees.catalogue.get(b.uuid()).isPresent(), "B stays: a child is still on it");
        assertEquals(1, trees.catalogue.children(b.uuid(), Set.of()).size());
        assertFalse(Files.exists(trees.directory(b).resolve(MergeIntent.NAME)));
        assertIdentical(imageOf(first), first.uuid().equals(c.uuid()) ? expectedC : expectedD);
    }

    private List<Path> dirs() throws Exception {
        try (var domains = Files.list(trees.root)) {
            return domains.flatMap(d -> {
                try {
                    return Files.list(d).toList().stream();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private Path imageOf(Backup x) {
        return Path.of(trees.catalogue.require(x.uuid()).backup().disks().get(0).target());
    }

    /** A real qcow2 image for the backup, on its parent's, with one MiB of a pattern at MiB {@code at}. */
    private void image(Backup x, Backup parent, int pattern, int at) throws Exception {
        Path img = imageOf(x);
        Files.delete(img);
        if (parent == null) {
            run("qemu-img", "create", "-q", "-f", "qcow2", img.toString(), "8M");
        } else {
            run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    img.getParent().relativize(imageOf(parent)).toString(), img.toString());
        }
        run("qemu-io", "-f", "qcow2", "-c", String.format("write -P 0x%02x %dM 1M", pattern, at), img.toString());
    }

    private void rebase(Backup x, Backup onto) throws Exception {
        Path img = imageOf(x);
        run("qemu-img", "rebase", "-f", "qcow2", "-F", "qcow2", "-b", img.getParent().relativize(imageOf(onto)).toString(),
                img.toString());
    }

    private static void assertIdentical(Path image, Path expected) throws Exception {
        assertEquals(0, new ProcessBuilder("qemu-img", "compare", image.toString(), expected.toString()).inheritIO()
                .start().waitFor(), "qemu-img compare " + image + " " + expected);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

}
