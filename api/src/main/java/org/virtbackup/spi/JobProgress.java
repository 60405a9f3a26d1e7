package org.virtbackup.spi;

/**
 * @param total bytes the job reads in all
 * @param processed bytes read so far
 */
public record JobProgress(long total, long processed) {

    public long remaining() {
        return Math.max(0, total - processed);
    }
}
