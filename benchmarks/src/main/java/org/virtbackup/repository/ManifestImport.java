package org.virtbackup.repository;

/**
 * Benchmark tooling, in the repository's package (the benchmarks run on a class path, not in
 * OSGi): writes a manifest straight into a repository, with no backup behind it (no chunks, no
 * indexes), so that a catalogue of thousands of backups is made in seconds. Only for throwaway
 * repositories: such a backup neither restores nor verifies.
 */
public final class ManifestImport {

    private ManifestImport() {
    }

    public static void put(Repository repository, Manifest manifest) {
        repository.putManifest(manifest);
    }
}
