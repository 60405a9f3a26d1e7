package org.virtbackup.impl.nbd;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * One connection to an NBD export over a unix socket, through libnbd: reads, writes, and the
 * extents of a metadata context (allocation, or a dirty bitmap). Not thread-safe: one per thread.
 */
public final class NbdConnection implements AutoCloseable {

    /**
     * Reads and writes go in requests of at most this size: QEMU's NBD server (7.2) spent twice
     * the CPU on 1 MiB reads, and wrote a qcow2 image at half the speed, than with 256 KiB
     * requests (README, Performance: the probes). On a later host, serving a full backup's
     * 2 GiB took it 3.1-3.4 s of CPU in 128 KiB requests, 2.2-2.6 s in 256 KiB, 1.8-4.3 s in
     * 512 KiB and 7.3-7.9 s in 1 MiB (README, Performance: request sizes).
     */
    private static final int REQUEST = 256 * 1024;

    /** The most one block-status request asks about: servers answer in parts anyway. */
    private static final long STATUS_SPAN = 1L << 30;

    private final Libnbd nbd;
    private final Pointer handle;
    private final String where;

    private NbdConnection(Libnbd nbd, Pointer handle, String where) {
        this.nbd = nbd;
        this.handle = handle;
        this.where = where;
    }

    /**
     * Connects to the export, asking for the metadata contexts given (they are used only if the
     * server has them: see {@link #has}).
     */
    public static NbdConnection open(Libnbd nbd, Path socket, String export, List<String> contexts) {
        Pointer h = nbd.nbd_create();
        if (h == null) {
            throw new BackupException(ErrorCode.IO_ERROR, "libnbd cannot make a handle: " + nbd.nbd_get_error());
        }
        NbdConnection c = new NbdConnection(nbd, h, "NBD export '" + export + "' at " + socket);
        try {
            c.check(nbd.nbd_set_export_name(h, export), "name the export");
            // libnbd zeroes each read buffer first, against a server that answers short: a read
            // that fails throws here and its buffer is never used (the memset was 2 % of a backup's CPU)
            c.check(nbd.nbd_set_pread_initialize(h, 0), "leave read buffers as they are");
            for (String context : contexts) {
                c.check(nbd.nbd_add_meta_context(h, context), "ask for " + context);
            }
            c.check(nbd.nbd_connect_unix(h, socket.toString()), "connect");
            return c;
        } catch (RuntimeException e) {
            nbd.nbd_close(h);
            throw e;
        }
    }

    /** The export's size in bytes. */
    public long size() {
        long n = nbd.nbd_get_size(handle);
        if (n < 0) {
            throw failure("read the size");
        }
        return n;
    }

    /** Whether the server agreed to the metadata context. */
    public boolean has(String context) {
        return nbd.nbd_can_meta_context(handle, context) == 1;
    }

    /** Reads {@code length} bytes at {@code offset} into the buffer. */
    public void read(Memory buffer, int length, long offset) {
        for (int done = 0; done < length; done += REQUEST) {
            int n = Math.min(REQUEST, length - done);
            check(nbd.nbd_pread(handle, buffer.share(done, n), n, offset + done, 0), "read " + n + " bytes at " + (offset + done));
        }
    }

    /** Writes {@code length} bytes of the buffer at {@code offset}. */
    public void write(Memory buffer, int length, long offset) {
        for (int done = 0; done < length; done += REQUEST) {
            int n = Math.min(REQUEST, length - done);
            check(nbd.nbd_pwrite(handle, buffer.share(done, n), n, offset + done, 0), "write " + n + " bytes at " + (offset + done));
        }
    }

    /** Makes what was written durable on the server's side. */
    public void flush() {
        check(nbd.nbd_flush(handle, 0), "flush");
    }

    /** The extents of the context over {@code [offset, offset + length)}, in order, covering it whole. */
    public List<Extent> extents(String context, long offset, long length) {
        List<Extent> found = new ArrayList<>();
        long end = offset + length;
        long at = offset;
        while (at < end) {
            long start = at;
            long[] reached = {at};
            Libnbd.ExtentFunction f = (user, name, base, entries, count, error) -> {
                if (!context.equals(name)) {
                    return 0;
                }
                int[] pairs = entries.getIntArray(0, (int) count);
                long pos = base;
                for (int i = 0; i + 1 < pairs.length; i += 2) {
                    long len = Integer.toUnsignedLong(pairs[i]);
                    found.add(new Extent(pos, Math.min(len, end - pos), pairs[i + 1]));
                    pos += len;
                    if (pos >= end) {
                        break;
                    }
                }
                reached[0] = Math.max(reached[0], pos);
                return 0;
            };
            check(nbd.nbd_block_status(handle, Math.min(STATUS_SPAN, end - start), start,
                    new Libnbd.ExtentCallback.ByValue(f), 0), "read the " + context + " extents at " + start);
            if (reached[0] <= start) {
                throw new BackupException(ErrorCode.IO_ERROR, where + " gave no " + context + " extent at " + start);
            }
            at = reached[0];
        }
        return found;
    }

    @Override
    public void close() {
        nbd.nbd_shutdown(handle, 0);
        nbd.nbd_close(handle);
    }

    private void check(int rc, String what) {
        if (rc < 0) {
            throw failure(what);
        }
    }

    private BackupException failure(String what) {
        return new BackupException(ErrorCode.IO_ERROR, "cannot " + what + " on " + where + ": " + nbd.nbd_get_error());
    }
}
