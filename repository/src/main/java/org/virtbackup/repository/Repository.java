package org.virtbackup.repository;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.Mac;

/**
 * A repository in an object store, opened with its key when it is encrypted. Thread-safe; one
 * instance per repository and process, since it keeps the pins of the writers in this process.
 */
public final class Repository {

    /** zstd level 1: 8 % more bytes than level 3 in 42 % less time (docs/repository-format.md, Choices). */
    private static final int LEVEL = 1;

    /** The manifests that could be read, and why the others could not, by object name. */
    public record Listing(List<Manifest> manifests, Map<String, String> unreadable) {
    }

    private final ObjectStore store;
    private final RepositoryConfig config;
    private final RepositoryKey key;
    private final Envelope envelope;
    private final SealedObjects objects;
    private final Packs packs;
    private final ChunkReads reads;
    private final Pins pins = new Pins();
    private final DamageRecords damage;
    private final Leases leases;
    private final Manifests manifests;
    private final byte[] zeros;
    private final Set<UUID> writing = ConcurrentHashMap.newKeySet();
    private boolean version1; // guarded by this

    private Repository(ObjectStore store, RepositoryConfig config, RepositoryKey key, Sharing sharing) {
        this.store = store;
        this.config = config;
        this.key = key;
        this.envelope = new Envelope(key, LEVEL);
        this.objects = new SealedObjects(store, envelope);
        this.packs = new Packs(store, envelope);
        this.reads = new ChunkReads(this, envelope);
        this.zeros = new byte[config.chunkSize()];
        this.damage = new DamageRecords(this);
        this.leases = new Leases(store, objects, sharing);
        this.manifests = new Manifests(objects, store.describe());
    }

    /** Makes a new repository in an empty store; {@code key} {@code null}: not encrypted. */
    public static Repository create(ObjectStore store, int chunkSize, RepositoryKey key) {
        return create(store, chunkSize, key, Sharing.DEFAULT);
    }

    /** {@link #create(ObjectStore, int, RepositoryKey)}, shared with other processes as given. */
    public static Repository create(ObjectStore store, int chunkSize, RepositoryKey key, Sharing sharing) {
        RepositoryConfig config = new RepositoryConfig(UUID.randomUUID(), chunkSize, key == null ? "" : key.fingerprint());
        try {
            if (store.exists(RepositoryConfig.NAME)) {
                throw new RepositoryException(RepositoryException.Problem.IO, store.describe() + " holds a repository already");
            }
            store.put(RepositoryConfig.NAME, config.toBytes());
        } catch (IOException e) {
            throw failed("cannot create a repository in " + store.describe(), e);
        }
        return new Repository(store, config, key, sharing);
    }

    /** Opens a repository; refused when it is encrypted and the key is missing or another one. */
    public static Repository open(ObjectStore store, RepositoryKey key) {
        return open(store, key, Sharing.DEFAULT);
    }

    /** {@link #open(ObjectStore, RepositoryKey)}, shared with other processes as given. */
    public static Repository open(ObjectStore store, RepositoryKey key, Sharing sharing) {
        byte[] data;
        try {
            data = store.get(RepositoryConfig.NAME).orElseThrow(() -> new RepositoryException(
                    RepositoryException.Problem.NOT_A_REPOSITORY, store.describe() + " holds no repository (no "
                            + RepositoryConfig.NAME + " object)"));
        } catch (IOException e) {
            throw failed("cannot read " + store.describe(), e);
        }
        RepositoryConfig config = RepositoryConfig.parse(data, store.describe());
        if (config.encrypted() && key == null) {
            throw new RepositoryException(RepositoryException.Problem.KEY_MISSING, "the repository in " + store.describe()
                    + " is encrypted (key fingerprint " + config.fingerprint() + ") and no key file is configured");
        }
        if (!config.encrypted() && key != null) {
            throw new RepositoryException(RepositoryException.Problem.KEY_MISSING, "the repository in " + store.describe()
                    + " is not encrypted, but a key was given: remove the key from its configuration");
        }
        if (config.encrypted() && !config.fingerprint().equals(key.fingerprint())) {
            throw new RepositoryException(RepositoryException.Problem.KEY_MISMATCH, "the repository in "
                    + store.describe() + " was made with the key of fingerprint " + config.fingerprint()
                    + ", not with the configured key (fingerprint " + key.fingerprint() + ")");
        }
        Repository repository = new Repository(store, config, key, sharing);
        repository.version1 = RepositoryConfig.isVersion1(data);
        return repository;
    }

    /**
     * Before the first write into a version-1 repository, its config says version 2: its chunks
     * are read where they are, new ones go into packs, which a version-1 reader would miss.
     * Reading (a restore, a verify on a read-only mount) changes nothing.
     */
    private synchronized void upgrade() {
        if (version1) {
            try {
                store.put(RepositoryConfig.NAME, config.toBytes());
            } catch (IOException e) {
                throw failed("cannot upgrade the repository in " + store.describe() + " to version " + RepositoryConfig.VERSION, e);
            }
            version1 = false;
        }
    }

    public RepositoryConfig config() {
        return config;
    }

    public ObjectStore store() {
        return store;
    }

    /**
     * Starts writing a backup, once no other process collects (waiting for one that does, as
     * long as the sharing allows): its lease keeps other processes' collections away until the
     * writer is closed.
     */
    public BackupWriter writer(UUID backup) {
        Lease lease = leases.write("backup " + backup);
        try {
            upgrade();
            packs.refresh(); // finds the chunks other processes stored since, and forgets the packs they collected
            if (!writing.add(backup)) {
                throw new IllegalStateException("backup " + backup + " is being written already");
            }
            try {
                return new BackupWriter(this, backup, lease);
            } catch (RuntimeException e) {
                writing.remove(backup);
                throw e;
            }
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    boolean isWriting(UUID backup) {
        return writing.contains(backup);
    }

    void closed(BackupWriter writer) {
        writing.remove(writer.backup());
    }

    /**
     * A chunk's data, checked: in an encrypted repository by its tag, which binds the content to
     * the chunk's name under the key (the name is not hashed again: that halved a restore's CPU);
     * in a plain one by hashing it to its name. {@link #checkedChunk} checks both, for verify.
     */
    public byte[] readChunk(ChunkId id) {
        ChunkBuffer b = chunkBuffer();
        return Arrays.copyOf(b.data, readChunk(id, b));
    }

    /** {@link #readChunk(ChunkId)} into the buffer's {@link ChunkBuffer#data()}; returns the chunk's length. */
    public int readChunk(ChunkId id, ChunkBuffer into) {
        return reads.read(id, key == null, true, into);
    }

    /** Arrays to read chunks with, one per thread: see {@link ChunkBuffer}. */
    public ChunkBuffer chunkBuffer() {
        return new ChunkBuffer(config.chunkSize());
    }

    /**
     * A chunk's data, its tag (when encrypted), checksum and name all checked, in its newest copy
     * only: the one a collection keeps when a chunk was stored twice. Returns its length.
     */
    int checkedChunk(ChunkId id, ChunkBuffer into) {
        return reads.read(id, true, false, into);
    }

    byte[] checkedChunk(ChunkId id) {
        ChunkBuffer b = chunkBuffer();
        return Arrays.copyOf(b.data, checkedChunk(id, b));
    }

    /** Whether the repository holds the chunk (not whether it is whole). */
    boolean holds(ChunkId id) {
        return reads.holds(id);
    }

    /** The backups that have a manifest now, by listing their names only (another host may have added some). */
    public Set<UUID> manifestIds() {
        return manifests.ids();
    }

    /** Every manifest, read and checked; the ones that cannot be read are listed apart with the reason. */
    public Listing manifests() {
        return manifests.all();
    }

    public Optional<Manifest> manifest(UUID backup) {
        return manifests.read(backup);
    }

    /** The chunk ids of a backup's disk, checked against the digest its manifest records. */
    public ChunkIndex index(Manifest manifest, Manifest.Disk disk) {
        String name = Manifest.indexName(manifest.backup(), disk.name());
        int bound = Math.multiplyExact(disk.chunks(), ChunkId.LENGTH);
        byte[] plain = objects.read(Envelope.TYPE_INDEX, name, bound);
        if (!name(plain, plain.length).hex().equals(disk.indexDigest())) {
            throw Envelope.damaged(name, "it is not the index its manifest names");
        }
        if (plain.length != disk.chunks() * ChunkId.LENGTH) {
            throw Envelope.damaged(name, "it holds " + plain.length / ChunkId.LENGTH + " ids, not " + disk.chunks());
        }
        return ChunkIndex.wrap(plain);
    }

    /**
     * The entry a manifest needs for an index already written (by a writer of this process or of
     * one that stopped before its manifest): read back, counted and digested.
     */
    public Manifest.Disk writtenIndex(UUID backup, String disk, long capacity) {
        String name = Manifest.indexName(backup, disk);
        int bound = Math.multiplyExact(Manifest.Disk.chunkCount(capacity, config.chunkSize()), ChunkId.LENGTH);
        byte[] plain = objects.read(Envelope.TYPE_INDEX, name, bound);
        if (plain.length % ChunkId.LENGTH != 0) {
            throw Envelope.damaged(name, "its length is not a multiple of " + ChunkId.LENGTH);
        }
        return new Manifest.Disk(disk, capacity, config.chunkSize(), plain.length / ChunkId.LENGTH,
                name(plain, plain.length).hex());
    }

    /** The ids an index object holds, read without a manifest to check it against (a backup not committed yet). */
    ChunkIndex writtenIds(String indexName) {
        byte[] plain = objects.read(Envelope.TYPE_INDEX, indexName, Integer.MAX_VALUE - (1 << 20));
        if (plain.length % ChunkId.LENGTH != 0) {
            throw Envelope.damaged(indexName, "its length is not a multiple of " + ChunkId.LENGTH);
        }
        return ChunkIndex.wrap(plain);
    }

    /** Removes a backup: its manifest first (it is then no longer listed), then its indexes; chunks go at the next collection. */
    public void delete(UUID backup) {
        try {
            store.delete(Manifest.objectName(backup));
            store.sync(List.of(Manifest.objectName(backup))); // gone for good before its chunks may be collected
            for (String index : store.list("indexes/" + backup + "/")) {
                store.delete(index);
            }
        } catch (IOException e) {
            throw failed("cannot delete backup " + backup + " from " + store.describe(), e);
        }
    }

    /** The backups that name a chunk found damaged, as last recorded by a verification. */
    public Set<UUID> damagedBackups() {
        return damage.backups();
    }

    /** Re-reads the damage records (another process may have verified). */
    public void refreshDamage() {
        damage.reload();
    }

    ChunkId name(byte[] data, int length) {
        if (key == null) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(data, 0, length);
                return ChunkId.of(sha.digest(), 0);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        }
        Mac mac = key.namingMac();
        mac.update(data, 0, length);
        return ChunkId.of(mac.doFinal(), 0);
    }

    /** A chunk as stored: its envelope, for a pack (allocated; a backup seals into an {@link Envelope.Scratch}). */
    byte[] sealChunk(ChunkId id, byte[] data, int length) {
        return envelope.seal(Envelope.TYPE_CHUNK, id.objectName(), data, length);
    }

    /** Seals a chunk into the scratch's arrays; returns its stored length. */
    int sealChunk(ChunkId id, byte[] data, int length, Envelope.Scratch scratch) {
        return envelope.seal(Envelope.TYPE_CHUNK, id.objectName(), data, length, scratch);
    }

    String putIndex(UUID backup, String disk, ChunkIndex ids) {
        byte[] plain = ids.bytes();
        objects.put(Envelope.TYPE_INDEX, Manifest.indexName(backup, disk), plain, plain.length);
        return name(plain, plain.length).hex();
    }

    void putManifest(Manifest m) {
        byte[] plain = m.toBytes();
        objects.put(Envelope.TYPE_MANIFEST, Manifest.objectName(m.backup()), plain, plain.length);
    }

    SealedObjects objects() {
        return objects;
    }

    Packs packs() {
        return packs;
    }

    Pins pins() {
        return pins;
    }

    Leases leases() {
        return leases;
    }

    DamageRecords damage() {
        return damage;
    }

    byte[] zeros() {
        return zeros;
    }

    /** The UUID a name spells exactly, if it does. */
    static Optional<UUID> uuid(String name) {
        try {
            UUID u = UUID.fromString(name);
            return u.toString().equals(name) ? Optional.of(u) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static RepositoryException failed(String what, IOException e) {
        return SealedObjects.failed(what, e);
    }
}
