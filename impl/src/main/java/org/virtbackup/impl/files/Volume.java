package org.virtbackup.impl.files;

import java.util.Set;

/**
 * A part of a disk that may hold a file system: a partition ({@code p1}, {@code p2} …), or the
 * whole disk when it has no partition table (named {@code ""}).
 *
 * @param type what blkid found in it ({@code ext4}, {@code swap}, {@code LVM2_member}), or {@code null}
 */
record Volume(String name, long offset, long size, String type) {

    /**
     * The file systems mounted, with the kernel driver of each: widely used, read by drivers that
     * are fuzzed and maintained upstream. Not btrfs: a copy carrying the fsid of a mounted one
     * confuses the kernel's device registry. Not LVM or RAID members: assembling them on the host
     * would bring the guest's volume groups beside the host's own.
     */
    static final Set<String> READ = Set.of("ext2", "ext3", "ext4", "xfs", "vfat", "ntfs");

    boolean readable() {
        return type != null && READ.contains(type);
    }

    /**
     * The kernel's driver for the type: ntfs3 reads what blkid calls ntfs, and ext4 reads ext2 and
     * ext3 too (one driver for the three, not the older ext2 one besides).
     */
    String driver() {
        return type.equals("ntfs") ? "ntfs3" : type.startsWith("ext") ? "ext4" : type;
    }

    /**
     * Mount options: read-only, nothing of the guest's executable or a device; xfs's uuid may equal
     * a mounted one's; vfat and ntfs, which keep no Unix modes, not every file executable. An ext
     * file system's superblock may say errors=panic (tune2fs -e panic, in the guest's hands), and
     * ext4 then panics the host at the first inconsistency it meets, read-only or not: the mount
     * option overrides it.
     */
    String options() {
        String masks = type.equals("vfat") || type.equals("ntfs") ? ",fmask=0133,dmask=0022" : "";
        String errors = type.startsWith("ext") ? ",errors=remount-ro" : "";
        return "ro,nosuid,nodev,noexec" + (type.equals("xfs") ? ",nouuid" : "") + errors + masks;
    }
}
