package org.virtbackup.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A listing of many manifests writes a bundle, which the next listing reads in their place, where they are still listed. */
class ManifestBundlesTest {

    @TempDir
    Path tmp;

    @Test
    void aBundleStandsInForTheManifestsStillListedAndADamagedOneForNone() throws IOException {
        RepositoryKey key = RepositoryKey.generate(tmp.resolve("key"));
        Path dir = Files.createDirectories(tmp.resolve("repo"));
        Repository repo = Repository.create(new FileObjectStore(dir), RepositoryTest.CHUNK, key);
        List<UUID> made = new ArrayList<>();
        for (int i = 0; i < ManifestBundles.REWRITE_AFTER; i++) {
            UUID b = UUID.randomUUID();
            repo.putManifest(new Manifest(b, RepositoryTest.DOMAIN, Instant.now(), List.of(new Manifest.Disk("vda",
                    RepositoryTest.CHUNK, RepositoryTest.CHUNK, 1, "0".repeat(64))), "<backup n='" + i + "'/>"));
            made.add(b);
        }
        assertEquals(List.of(), repo.store().list(ManifestBundles.PREFIX));
        assertEquals(Set.copyOf(made), ids(repo.manifests()), "read one by one");
        List<String> bundles = repo.store().list(ManifestBundles.PREFIX);
        assertEquals(1, bundles.size(), "then bundled");

        // Another process: a manifest it cannot read one by one any more is read from the bundle.
        Files.write(dir.resolve(Manifest.objectName(made.get(0))), new byte[] {1, 2, 3});
        repo.delete(made.get(1));
        Repository other = Repository.open(new FileObjectStore(dir), key);
        Repository.Listing listing = other.manifests();
        Set<UUID> expected = new HashSet<>(made);
        expected.remove(made.get(1));
        assertEquals(expected, ids(listing), "from the bundle, but only the backups still listed");
        assertEquals(0, listing.unreadable().size());

        // A damaged bundle stands in for nothing: the damaged manifest shows as such.
        Files.write(dir.resolve(bundles.get(0)), new byte[] {9, 9, 9});
        listing = Repository.open(new FileObjectStore(dir), key).manifests();
        expected.remove(made.get(0));
        assertEquals(expected, ids(listing));
        assertEquals(Set.of(Manifest.objectName(made.get(0))), listing.unreadable().keySet());
    }

    private static Set<UUID> ids(Repository.Listing listing) {
        return listing.manifests().stream().map(Manifest::backup).collect(Collectors.toSet());
    }
}
