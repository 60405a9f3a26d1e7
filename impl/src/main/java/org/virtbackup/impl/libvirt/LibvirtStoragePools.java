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

/** {@link StoragePools} through libvirt's storage API, on the shared connection. */
final class LibvirtStoragePools implements StoragePools {

    /** Pool types whose volumes are plain files. */
    private static final Set<String> FILE_POOLS = Set.of("dir", "fs", "netfs");

    private final LibvirtConnection libvirt;

    LibvirtStoragePools(LibvirtConnection libvirt) {
        this.libvirt = libvirt;
    }

    @Override
    public void require(String name) {
        pool(name);
    }

    @Override
    public long available(String name) {
        StoragePool pool = pool(name);
        try {
            pool.refresh(0);
            return pool.getInfo().available;
        } catch (LibvirtException e) {
            throw failure("reading the free space of storage pool '" + name + "'", e);
        }
    }

    @Override
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

    @Override
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
