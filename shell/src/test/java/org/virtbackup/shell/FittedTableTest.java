package org.virtbackup.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class FittedTableTest {

    private static final String UUID = "3f1c2a9e-5b7d-4c1e-9a0f-2d6e8b4c7a11";

    private static List<String> print(int width) {
        FittedTable table = new FittedTable().column("UUID", FittedTable.ALWAYS, false).flexible("Domain")
                .column("Created", 40, false).column("State", 90, false).column("Disks", 20, false);
        table.row(UUID, "a-domain-with-a-rather-long-name-indeed", "2026-11-25 10:00:00", "completed", "vda,vdb,vdc");
        table.row("2f1c2a9e-5b7d-4c1e-9a0f-2d6e8b4c7a12", "web", "2026-11-25 11:00:00", "running", "vda");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        table.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), width);
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void withoutATerminalEveryColumnIsPrintedWhole() {
        List<String> lines = print(0);
        assertTrue(lines.get(0).contains("Disks") && lines.get(0).contains("Created"), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.contains("a-domain-with-a-rather-long-name-indeed")), lines.toString());
    }

    @Test
    void onANarrowTerminalTheLeastImportantColumnsGoFirstAndNoLineIsTooWide() {
        List<String> lines = print(80);
        assertTrue(lines.stream().allMatch(l -> l.length() <= 80), lines.toString());
        assertFalse(lines.get(0).contains("Disks"), "disks go first: " + lines.get(0));
        assertTrue(lines.get(0).contains("State"), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.contains(UUID)), "the UUID stays whole: " + lines);
    }

    @Test
    void whenLeavingColumnsOutIsNotEnoughTheFlexibleColumnWraps() {
        List<String> lines = print(52);
        assertTrue(lines.stream().allMatch(l -> l.length() <= 52), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains(UUID)), lines.toString());
        String domain = String.join("", lines.stream().filter(l -> !l.startsWith("UUID") && !l.startsWith("-"))
                .map(l -> l.split("\\|")[1].strip()).toList());
        assertTrue(domain.contains("a-domain-with-a-rather-long-name-indeed"), "wrapped, not cut: " + lines);
    }

    @Test
    void theProgressBarFitsTheTerminal() {
        String line = Sizes.progress(3L << 30, 4L << 30, 600L << 20, 72);
        assertTrue(line.length() <= 72, line);
        assertTrue(line.contains(" 75%") && line.contains("3.0 GiB / 4.0 GiB") && line.contains("600.0 MiB/s")
                && line.contains("ETA 1s"), line);
        assertEquals(30 + 2, Sizes.progress(0, 0, 0, 0).indexOf(']') + 1);
    }
}
