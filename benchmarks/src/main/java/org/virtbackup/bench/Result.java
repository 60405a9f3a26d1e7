package org.virtbackup.bench;

import java.util.Locale;

/** One reported figure: printed as {@code RESULT <benchmark> <key>=<value>}. */
public record Result(String benchmark, String key, String value) {

    /** A ratio or other figure with two decimals (always a dot: Locale.ROOT). */
    public static Result of(String benchmark, String key, double value) {
        return new Result(benchmark, key, String.format(Locale.ROOT, "%.2f", value));
    }

    public String line() {
        return "RESULT " + benchmark + " " + key + "=" + value;
    }
}
