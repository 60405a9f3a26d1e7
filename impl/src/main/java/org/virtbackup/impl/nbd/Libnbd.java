package org.virtbackup.impl.nbd;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The part of libnbd (Red Hat's NBD client library, Debian's {@code libnbd0}) that we call,
 * bound through JNA. Handles are used by one thread at a time: a reader opens one per thread.
 * {@code size_t} is a Java {@code long}: this runs on 64-bit Linux only.
 */
public interface Libnbd extends Library {

    /** {@code base:allocation}: a region that is a hole and reads as zeros. */
    int STATE_HOLE = 1;
    int STATE_ZERO = 2;
    /** {@code qemu:dirty-bitmap:*}: a dirty region. */
    int STATE_DIRTY = 1;
    String ALLOCATION = "base:allocation";

    Pointer nbd_create();

    void nbd_close(Pointer h);

    String nbd_get_error();

    int nbd_set_export_name(Pointer h, String name);

    /** Since libnbd 1.12; {@code bool} as an int. */
    int nbd_set_pread_initialize(Pointer h, int initialize);

    int nbd_add_meta_context(Pointer h, String name);

    int nbd_connect_unix(Pointer h, String socket);

    int nbd_can_meta_context(Pointer h, String name);

    long nbd_get_size(Pointer h);

    int nbd_pread(Pointer h, Pointer buf, long count, long offset, int flags);

    int nbd_pwrite(Pointer h, Pointer buf, long count, long offset, int flags);

    int nbd_flush(Pointer h, int flags);

    int nbd_shutdown(Pointer h, int flags);

    int nbd_block_status(Pointer h, long count, long offset, ExtentCallback.ByValue callback, int flags);

    /** {@code nbd_extent_callback}: called with (length, flags) pairs of uint32, {@code entries} of them in all. */
    interface ExtentFunction extends Callback {
        int invoke(Pointer userData, String context, long offset, Pointer entries, long count, Pointer error);
    }

    /** The closure struct libnbd takes by value. */
    @Structure.FieldOrder({"callback", "userData", "free"})
    class ExtentCallback extends Structure {
        public ExtentFunction callback;
        public Pointer userData;
        public Pointer free;

        /** By value, as {@code nbd_block_status} takes it. */
        public static final class ByValue extends ExtentCallback implements Structure.ByValue {
            public ByValue(ExtentFunction f) {
                callback = f;
            }
        }
    }
}
