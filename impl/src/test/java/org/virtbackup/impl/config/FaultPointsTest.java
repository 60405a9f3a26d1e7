package org.virtbackup.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultPointsTest {

    @TempDir
    Path dir;

    @Test
    void withoutTheSystemPropertyNoStepPauses() {
        FaultPoints.NONE.reach("create.before-job");
        new FaultPoints(dir).reach("create.before-job"); // enabled, nothing armed
        assertFalse(Files.exists(dir.resolve(FaultPoints.REACHED)));
    }

    @Test
    void anArmedStepSaysSoAndPausesThroughInterrupts() throws Exception {
        Files.writeString(dir.resolve(FaultPoints.ARMED), "merge.after-rebase\ncreate.before-job\n");
        FaultPoints faults = new FaultPoints(dir);
        faults.reach("merge.after-intent");
        Thread worker = new Thread(() -> faults.reach("create.before-job"));
        worker.setDaemon(true); // paused for good: the test JVM ends it
        worker.start();
        Path reached = dir.resolve(FaultPoints.REACHED);
        for (int i = 0; i < 100 && !Files.exists(reached); i++) {
            Thread.sleep(50);
        }
        assertEquals("create.before-job\n", Files.readString(reached));
        worker.interrupt();
        worker.join(300);
        assertTrue(worker.isAlive(), "still paused after an interrupt, as a crash does not unwind");
    }
}
