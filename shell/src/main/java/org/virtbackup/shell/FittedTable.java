package org.virtbackup.shell;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.karaf.shell.support.table.Col;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * A table that fits a terminal: when its natural width is too wide, the least important columns
 * are left out, and if it is still too wide the one flexible column wraps onto lines of its own. Without a terminal
 * (width 0: a script, a pipe) every column is printed at its natural width.
 */
final class FittedTable {

    /** Importance of a column that is never left out. */
    static final int ALWAYS = Integer.MAX_VALUE;
    private static final int SEPARATOR = 3; // ShellTable's " | "
    /** The flexible column is not wrapped narrower than this. */
    private static final int FLEXIBLE_MIN = 12;

    private record Column(String header, int importance, boolean right, boolean flexible) {
    }

    private final List<Column> columns = new ArrayList<>();
    private final List<String[]> rows = new ArrayList<>();

    /** A column; the higher its importance, the later it is left out. */
    FittedTable column(String header, int importance, boolean alignRight) {
        columns.add(new Column(header, importance, alignRight, false));
        return this;
    }

    /** The column that wraps when leaving columns out is not enough (kept always). */
    FittedTable flexible(String header) {
        columns.add(new Column(header, ALWAYS, false, true));
        return this;
    }

    FittedTable row(Object... cells) {
        String[] row = new String[columns.size()];
        for (int i = 0; i < row.length; i++) {
            row[i] = String.valueOf(cells[i]);
        }
        rows.add(row);
        return this;
    }

    void print(PrintStream out, int width) {
        int[] natural = new int[columns.size()];
        int[] least = new int[columns.size()]; // what a column needs at the least: the flexible one wraps
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < natural.length; i++) {
            natural[i] = columns.get(i).header().length();
            for (String[] row : rows) {
                natural[i] = Math.max(natural[i], row[i].length());
            }
            least[i] = columns.get(i).flexible() ? Math.min(natural[i], FLEXIBLE_MIN) : natural[i];
            kept.add(i);
        }
        while (width > 0 && widthOf(kept, least) > width) {
            Integer first = kept.stream().filter(i -> columns.get(i).importance() != ALWAYS)
                    .min((a, b) -> Integer.compare(columns.get(a).importance(), columns.get(b).importance())).orElse(null);
            if (first == null) {
                break;
            }
            kept.remove(first);
        }
        int wrapAt = Integer.MAX_VALUE;
        if (width > 0 && widthOf(kept, natural) > width) {
            int others = kept.stream().filter(i -> !columns.get(i).flexible()).mapToInt(i -> natural[i]).sum();
            wrapAt = Math.max(FLEXIBLE_MIN, width - others - SEPARATOR * (kept.size() - 1));
        }
        ShellTable table = new ShellTable();
        for (int i : kept) {
            Column c = columns.get(i);
            Col col = table.column(c.header());
            if (c.right()) {
                col.alignRight();
            }
        }
        for (String[] row : rows) {
            // The flexible cell in pieces: the first on the row, the rest on lines of their own below it.
            List<List<Object>> lines = new ArrayList<>();
            for (int i : kept) {
                List<String> pieces = columns.get(i).flexible() ? pieces(row[i], wrapAt) : List.of(row[i]);
                for (int p = 0; p < pieces.size(); p++) {
                    if (lines.size() <= p) {
                        lines.add(new ArrayList<>(Collections.nCopies(kept.size(), "")));
                    }
                    lines.get(p).set(kept.indexOf(i), pieces.get(p));
                }
            }
            lines.forEach(l -> table.addRow().addContent(l));
        }
        table.print(out);
    }

    private static List<String> pieces(String text, int width) {
        List<String> pieces = new ArrayList<>();
        for (int at = 0; at < text.length(); at += width) {
            pieces.add(text.substring(at, Math.min(text.length(), at + width)));
        }
        return pieces.isEmpty() ? List.of("") : pieces;
    }

    private static int widthOf(List<Integer> kept, int[] widths) {
        return kept.stream().mapToInt(i -> widths[i]).sum() + SEPARATOR * Math.max(0, kept.size() - 1);
    }
}
