package org.virtbackup.shell;

import java.util.Locale;

/** Human-readable sizes and the progress line of {@code --wait}. */
final class Sizes {

    private Sizes() {
    }

    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /**
     * {@code [#########.........]  45%  1.8 GiB / 4.0 GiB  610.2 MiB/s  ETA 4s}, the bar as wide as
     * a terminal of {@code width} columns allows (unknown width, 0: 30 characters).
     */
    static String progress(long done, long total, long bytesPerSecond, int width) {
        long pct = total <= 0 ? 0 : done * 100 / total;
        String eta = bytesPerSecond <= 0 ? "?" : ((total - done) / bytesPerSecond) + "s";
        String figures = " " + String.format(Locale.ROOT, "%3d%%", pct) + "  " + bytes(done) + " / " + bytes(total) + "  "
                + bytes(bytesPerSecond) + "/s  ETA " + eta;
        int bar = width <= 0 ? 30 : Math.max(10, Math.min(50, width - 1 - 2 - figures.length()));
        int filled = total <= 0 ? 0 : (int) Math.min(bar, done * bar / total);
        return "[" + "#".repeat(filled) + ".".repeat(bar - filled) + "]" + figures;
    }
}
