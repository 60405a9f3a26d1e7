package org.virtbackup.repository;

import java.io.IOException;
import java.net.URI;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Opens the object stores behind one kind of repository URL: a backend bundle registers one
 * provider per configured endpoint, as a whiteboard service with the property {@value #SCHEME}
 * ({@code s3}). The implementation picks, for a URL, the provider that {@link #serves} it.
 */
@ConsumerType
public interface ObjectStoreProvider {

    /** Service property: the URL scheme served, {@code s3}. */
    String SCHEME = "virtbackup.store.scheme";

    /** Whether this provider reaches the store of the URL (an S3 endpoint: the buckets configured for it). */
    boolean serves(URI url);

    /** The store at the URL, which this provider {@link #serves}; it may hold no repository yet. */
    ObjectStore open(URI url) throws IOException;

    /** The provider for messages, without credentials: "S3 endpoint 'ceph' (https://rgw.example)". */
    String describe();
}
