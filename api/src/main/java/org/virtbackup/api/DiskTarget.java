package org.virtbackup.api;

/**
 * Where {@code create} writes one disk's copy instead of the domain's target: a new file, or a
 * new volume in a libvirt storage pool of files. The typed form of a disk's {@code <target>}.
 *
 * @param file an absolute path inside the configured target roots, naming no existing file; or {@code null}
 * @param pool an active libvirt pool whose volumes are files; or {@code null}
 * @param volume the new volume's name in {@code pool}; or {@code null}
 * @since 1.6
 */
public record DiskTarget(String file, String pool, String volume) {

    public DiskTarget {
        boolean inPool = pool != null || volume != null;
        if ((file == null) == !inPool || inPool && (pool == null || volume == null)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a disk's target is a file (file='/path') or a "
                    + "volume of a pool (pool='P' volume='V'), not " + describe(file, pool, volume));
        }
        if (volume != null && (volume.isEmpty() || volume.contains("/") || volume.equals("..") || volume.equals("."))) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "'" + volume + "' is no volume name (no '/')");
        }
        if (file != null && !file.startsWith("/")) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "a disk's target file must be an absolute path, not '"
                    + file + "'");
        }
    }

    /** A new file. */
    public static DiskTarget file(String path) {
        return new DiskTarget(path, null, null);
    }

    /** A new volume in a pool of files. */
    public static DiskTarget volume(String pool, String volume) {
        return new DiskTarget(null, pool, volume);
    }

    /** Whether this is a volume of a pool (else a file). */
    public boolean inPool() {
        return pool != null;
    }

    @Override
    public String toString() {
        return inPool() ? "volume " + volume + " of pool " + pool : file;
    }

    private static String describe(String file, String pool, String volume) {
        return (file == null && pool == null && volume == null) ? "nothing"
                : "file=" + file + " pool=" + pool + " volume=" + volume;
    }
}
