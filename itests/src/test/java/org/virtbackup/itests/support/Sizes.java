package org.virtbackup.itests.support;

/** Byte sizes for readable test data. */
public final class Sizes {

    public static final long MiB = 1024L * 1024;
    public static final long GiB = 1024 * MiB;

    private Sizes() {
    }
}
