package org.virtbackup.itests.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a test guest's disks hold at each moment, as the writes made to them since they were
 * created empty (or filled with {@link Guest#DATA_PATTERN}): a moment is replayed offline into
 * images to compare a backup, or a restored disk, with.
 */
public final class DiskHistory {

    /** One write into one disk. */
    public record Write(int disk, int pattern, long offset, long length) {
    }

    /** The writes up to a moment. */
    public record Moment(List<Write> writes) {
    }

    private final long[] sizes;
    private List<Write> writes = new ArrayList<>();

    public DiskHistory(long... sizes) {
        this.sizes = sizes.clone();
    }

    /** Writes into the running guest and records it. */
    public void write(Guest guest, int disk, int pattern, long offset, long length) throws Exception {
        guest.write(disk, pattern, offset, length);
        writes.add(new Write(disk, pattern, offset, length));
    }

    /** Records a write made otherwise (offline, before the guest started). */
    public void recorded(int disk, int pattern, long offset, long length) {
        writes.add(new Write(disk, pattern, offset, length));
    }

    public Moment now() {
        return new Moment(List.copyOf(writes));
    }

    /** The disks went back to a moment (an in-place restore). */
    public void backTo(Moment moment) {
        writes = new ArrayList<>(moment.writes());
    }

    /** Disk {@code disk} at the moment, built offline as {@code dir/name}. */
    public Path image(Moment moment, int disk, Path dir, String name) {
        Path image = Images.create(dir.resolve(name), sizes[disk]);
        for (Write w : moment.writes()) {
            if (w.disk() == disk) {
                Images.write(image, w.pattern(), w.offset(), w.length());
            }
        }
        return image;
    }
}
