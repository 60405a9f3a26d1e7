package org.virtbackup.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.virtbackup.itests.support.FaultFixture.*;
import static org.virtbackup.itests.support.Sizes.GiB;
import static org.virtbackup.itests.support.Sizes.MiB;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;
import org.virtbackup.itests.support.Cmd;
import org.virtbackup.itests.support.DiskHistory;
import org.virtbackup.itests.support.FaultFixture;
import org.virtbackup.itests.support.Guest;
import org.virtbackup.itests.support.Images;
import org.virtbackup.itests.support.Libvirtd;
import org.virtbackup.itests.support.Tmpfs;

/**
 * The fault suite, creates: our distribution, running as its own JVM, is killed with SIGKILL at
 * each step of a create (the service pauses at a named fault point, then the test kills it by
 * the pid it started) and started again on the same data; {@link FaultFixture} then checks that
 * every listed backup reads as its moment, that nothing unlisted remains, and that the next
 * incremental is correct. Not Pax Exam: its container cannot be killed and restarted on the same
 * data by its own test. The cases run in the order of their names, each on what the last left.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class CreateFaultIT {

    private static FaultFixture f;

    @BeforeClass
    public static void start() throws Exception {
        f = FaultFixture.start("faults-create");
    }

    @AfterClass
    public static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    public void create1KilledBeforeItsDescriptorLeavesNothing() throws Exception {
        List<String> before = f.listed();
        killedCreate("create.before-descriptor", "--incremental");
        assertEquals("nothing recorded", before, f.listed());
        f.assertConsistent();
        f.nextIncrementalIsCorrect();
    }

    @Test
    public void create2KilledBeforeItsJobStartsIsRecordedFailedWithNothingLeft() throws Exception {
        killedCreateFails("create.before-job", "--incremental");
    }

    @Test
    public void create3KilledAfterAPushJobStartedButBeforeItsJournalIsAbortedInLibvirt() throws Exception {
        killedCreateFails("create.before-journal", "--incremental");
    }

    @Test
    public void create4KilledAfterAPullJobStartedButBeforeItsJournalIsAbortedInLibvirt() throws Exception {
        killedCreateFails("create.before-journal", "--full");
    }

    @Test
    public void create5KilledAfterAPushJobsJournalIsResumedAndCompletes() throws Exception {
        killedCreateCompletes("create.after-journal", "--incremental");
    }

    @Test
    public void create6KilledAfterAPullJobsJournalIsResumedAndCompletes() throws Exception {
        killedCreateCompletes("create.after-journal", "--full");
    }

    @Test
    public void create7KilledAfterItsCopyButBeforeItsRecordCompletes() throws Exception {
        killedCreateCompletes("create.before-completed", "--incremental");
    }

    @Test
    public void create8KilledMidCopyIsResumedAndCompletes() throws Exception {
        try (Guest big = Guest.startWithData(f.guests(), "fault-copy", 3 * GiB, 2 * GiB)) {
            Path domainDir = f.targetRoot.resolve(uuidOf(big.name()));
            Process create = f.karaf.runInBackground("backup:create --wait " + big.name());
            f.karaf.killWhen("the copy passed 256 MiB", STEP, () -> imageBytes(domainDir) > 256 * MiB);
            f.ended(create);
            f.karaf.start();
            String uuid = single(f.listedOf(big.name()));
            f.awaitNotRunning(big.name());
            f.assertHoldsItsData(big, f.completedImages(uuid).get("vda"));
            f.karaf.run("backup:delete " + uuid);
            assertFalse(Files.exists(domainDir.resolve(uuid)));
        }
    }

    private void killedCreateFails(String step, String options) throws Exception {
        List<String> before = f.listed();
        killedCreate(step, options);
        String uuid = single(minus(f.listed(), before));
        f.awaitNotRunning(f.guest.name());
        String info = f.karaf.run("backup:info --no-domain " + uuid);
        assertTrue(info, info.contains("<state>failed</state>"));
        for (Path image : targets(info).values()) {
            assertFalse("a failed backup keeps no image: " + image, Files.exists(image));
        }
        f.karaf.run("backup:delete " + uuid);
        f.assertConsistent();
        f.nextIncrementalIsCorrect();
    }

    private void killedCreateCompletes(String step, String options) throws Exception {
        List<String> before = f.listed();
        DiskHistory.Moment moment = killedCreate(step, options);
        String uuid = single(minus(f.listed(), before));
        f.moments.put(uuid, moment);
        f.awaitNotRunning(f.guest.name());
        assertTrue(f.karaf.run("backup:info --no-domain " + uuid).contains("<state>completed</state>"));
        f.assertConsistent();
        f.nextIncrementalIsCorrect();
    }

    /** An incremental create killed at the step, then Karaf started again; returns the moment it was asked at. */
    private DiskHistory.Moment killedCreate(String step, String options) throws Exception {
        f.history.write(f.guest, 0, f.next(), 16 * MiB, 2 * MiB);
        DiskHistory.Moment moment = f.history.now();
        f.karaf.arm(step);
        Process create = f.karaf.runInBackground("backup:create --wait " + options + " " + f.guest.name());
        f.karaf.killAt(step, STEP);
        f.ended(create);
        f.karaf.start();
        return moment;
    }
}
