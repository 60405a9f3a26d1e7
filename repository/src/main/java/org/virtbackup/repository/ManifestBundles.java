package org.virtbackup.repository;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A repository's manifests gathered into one object, {@code catalogue/TIME-ID} (sealed like a
 * manifest, type {@code B}): a process listing a repository of thousands of backups reads one
 * object instead of one per backup, which on object storage is the difference between a second
 * and a minute. Manifests never change once written, so a bundle stays true for every backup it
 * holds that is still listed under {@code manifests/}, which alone says which backups exist. A
 * process that had to read {@value #REWRITE_AFTER} or more manifests one by one, or found as many
 * deleted ones in the bundle, writes a new bundle and removes the older ones; two processes doing
 * so at once write two true bundles, and the newest is read.
 */
final class ManifestBundles {

    static final String PREFIX = "catalogue/";
    static final byte TYPE = 'B';
    static final int REWRITE_AFTER = 100;
    /** A bundle's payload at most: a sealed object must stay under the metadata bound. */
    private static final int MAX_BYTES = SealedObjects.MAX_METADATA - (1 << 20);

    /** The manifests of the newest bundle that could be read, by backup, and that bundle's name. */
    record Bundle(String name, Map<UUID, Manifest> manifests) {
        static final Bundle NONE = new Bundle(null, Map.of());
    }

    private final SealedObjects objects;

    ManifestBundles(SealedObjects objects) {
        this.objects = objects;
    }

    /** The newest readable bundle; one that went meanwhile or cannot be opened is passed over. */
    Bundle newest() {
        List<String> names = objects.list(PREFIX).stream().sorted(Comparator.reverseOrder()).toList();
        for (String name : names) {
            try {
                var data = objects.find(TYPE, name, SealedObjects.MAX_METADATA);
                if (data.isPresent()) {
                    return new Bundle(name, parse(data.get(), name));
                }
            } catch (RepositoryException e) {
                if (e.problem() != RepositoryException.Problem.DAMAGED) {
                    throw e;
                }
                // another bundle, or the manifests one by one
            }
        }
        return Bundle.NONE;
    }

    /** Writes a bundle of these manifests, then removes the others; a failure leaves the bundles as they were. */
    void write(Collection<Manifest> manifests) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Manifest m : manifests) {
            byte[] bytes = m.toBytes();
            if (out.size() + 4L + bytes.length > MAX_BYTES) {
                return; // too many for one object: read one by one
            }
            out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
            out.writeBytes(bytes);
        }
        List<String> older = objects.list(PREFIX);
        byte[] payload = out.toByteArray();
        String name = PREFIX + String.format("%013d", System.currentTimeMillis()) + "-"
                + HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(ThreadLocalRandom.current().nextLong()).array());
        objects.put(TYPE, name, payload, payload.length);
        for (String old : older) {
            objects.delete(old);
        }
    }

    private static Map<UUID, Manifest> parse(byte[] data, String name) {
        Map<UUID, Manifest> found = new HashMap<>();
        ByteBuffer in = ByteBuffer.wrap(data);
        while (in.hasRemaining()) {
            if (in.remaining() < 4) {
                throw Envelope.damaged(name, "it ends inside an entry");
            }
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw Envelope.damaged(name, "an entry runs past its end");
            }
            byte[] m = new byte[length];
            in.get(m);
            Manifest manifest = Manifest.parse(m, name);
            found.put(manifest.backup(), manifest);
        }
        return found;
    }
}
