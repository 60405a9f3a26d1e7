package org.virtbackup.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs several measurements in turn, round by round (A, B, A, B, ...), so that slow drifts of
 * the host (page cache, write-back, other load) hit all of them alike. Warm-up rounds first (one
 * unless told), printed but not counted. Prints every sample and then the median, min and max of each.
 */
public final class Interleaved {

    /** One timed run of something; {@link Sample#detail()} is printed next to the time. */
    @FunctionalInterface
    public interface Measurement {
        Sample measure() throws Exception;
    }

    /** A wall-clock time and optional detail (e.g. phases), empty if none. */
    public record Sample(double seconds, String detail) {
        public static Sample of(double seconds) {
            return new Sample(seconds, "");
        }
    }

    /** A named measurement. */
    public record Series(String label, Measurement measurement) {
    }

    private Interleaved() {
    }

    /** Runs 1 warm-up + {@code rounds} rounds; returns the counted seconds by label, in order. */
    public static Map<String, List<Double>> run(BenchContext ctx, String benchmark, int rounds, List<Series> series)
            throws Exception {
        return run(ctx, benchmark, 1, rounds, series);
    }

    /** Runs {@code warmUps} warm-up rounds + {@code rounds} rounds; returns the counted seconds by label, in order. */
    public static Map<String, List<Double>> run(BenchContext ctx, String benchmark, int warmUps, int rounds,
            List<Series> series) throws Exception {
        Map<String, List<Double>> times = new LinkedHashMap<>();
        int width = series.stream().mapToInt(s -> s.label().length()).max().orElse(8);
        for (Series s : series) {
            times.put(s.label(), new ArrayList<>());
        }
        for (int round = 1 - warmUps; round <= rounds; round++) {
            String roundName = round > 0 ? "round " + round : warmUps == 1 ? "warm-up" : "warm-up " + (round + warmUps);
            for (Series s : series) {
                Sample sample = s.measurement().measure();
                if (round > 0) {
                    times.get(s.label()).add(sample.seconds());
                }
                ctx.say("%s: %-8s %-" + width + "s %7.3f s%s", benchmark, roundName, s.label(), sample.seconds(),
                        sample.detail().isEmpty() ? "" : "   " + sample.detail());
            }
        }
        for (Map.Entry<String, List<Double>> e : times.entrySet()) {
            List<Double> t = e.getValue();
            ctx.say("%s: %-8s %-" + width + "s %7.3f s   (min %.3f, max %.3f, %d rounds)", benchmark, "median", e.getKey(),
                    Stats.median(t), Stats.min(t), Stats.max(t), t.size());
        }
        return times;
    }
}
