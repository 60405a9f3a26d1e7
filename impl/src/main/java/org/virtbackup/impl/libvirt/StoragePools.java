package org.virtbackup.impl.libvirt;

import static org.virtbackup.impl.libvirt.LibvirtConnection.failure;

import java.nio.file.Path;
import java.util.Set;

import org.libvirt.LibvirtException;
import org.libvirt.StoragePool;
import org.libvirt.StorageVol;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;
import org.virtbackup.impl.xml.SafeXml;

/**
 * libvirt's storage pools, for backup images kept as volumes, created and deleted through
 * libvirt's storage API. Only pools whose volumes are files can hold them: the engine writes
 * qcow2 images with backing files (an incremental's parent) into the volume's path.
 */
public final class StoragePools {

    /** Pool types whose volumes are plain files. */
    private static final Set<String> FILE_POOLS = Set.of("dir", "fs", "netfs");

    private final LibvirtConnection libvirt;

    StoragePools(LibvirtConnection libvirt) {
        this.libvirt = libvirt;
    }

    /** Checks that the pool exists, runs and holds files; else a clear error. */
    public void require(String name) {
        pool(name);
    }

    /** Bytes free in the pool, as libvirt sees them after a refresh. */
    public long available(String name) {
        StoragePool pool = pool(name);
        try {
            pool.refresh(0);
            return pool.getInfo().available;
        } catch (LibvirtException e) {
            throw failure("reading the free space of storage pool '" + name + "'", e);
        }
    }

    /** Creates an empty qcow2 volume, readable by its owner only; returns its path. */
    public Path create(String poolName, String volume, long capacity) {
        StoragePool pool = pool(poolName);
        String xml = "<volume><name>" + SafeXml.escape(volume) + "</name><capacity unit='bytes'>" + capacity
                + "</capacity><allocation>0</allocation><target><format type='qcow2'/><permissions><mode>0600</mode>"
                + "</permissions></target></volume>";
        try {
            return Path.of(pool.storageVolCreateXML(xml, 0).getPath());
        } catch (LibvirtException e) {
            throw failure("creating volume " + volume + " in storage pool '" + poolName + "'", e);
        }
    }

    /**
     * Deletes the volume at this path if it is one of ours ({@code namePrefix}); true if a volume
     * was deleted, false if libvirt knows no volume there.
     */
    public boolean delete(Path path, String namePrefix) {
        StorageVol vol;
        try {
            vol = libvirt.connection().storageVolLookupByPath(path.toString());
        } catch (LibvirtException e) {
            return false;
        }
        try {
            if (!vol.getName().startsWith(namePrefix)) {
                throw new BackupException(ErrorCode.INVALID_TARGET, "volume " + path + " is not one of this backup's");
            }
            vol.delete(0);
            return true;
        } catch (LibvirtException e) {
            throw failure("deleting volume " + path, e);
        }
    }

    private StoragePool pool(String name) {
        StoragePool pool;
        try {
            pool = libvirt.connection().storagePoolLookupByName(name);
        } catch (LibvirtException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "no storage pool '" + name + "' in libvirt", e);
        }
        try {
            if (pool.isActive() != 1) {
                throw new BackupException(ErrorCode.INVALID_TARGET, "storage pool '" + name + "' is not active; start it "
                        + "(virsh pool-start " + name + ")");
            }
            String type = type(pool.getXMLDesc(0));
            if (!FILE_POOLS.contains(type)) {
                throw new BackupException(ErrorCode.NOT_SUPPORTED, "storage pool '" + name + "' is of type " + type
                        + ", whose volumes are not files; backups need a dir, fs or netfs pool");
            }
            return pool;
        } catch (LibvirtException e) {
            throw failure("reading storage pool '" + name + "'", e);
        }
    }

    private static String type(String poolXml) {
        int at = poolXml.indexOf("type='");
        int quote = at < 0 ? -1 : poolXml.indexOf('\'', at + 6);
        return at < 0 || quote < 0 ? "" : poolXml.substring(at + 6, quote);
    }
}
