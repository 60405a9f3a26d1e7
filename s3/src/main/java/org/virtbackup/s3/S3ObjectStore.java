package org.virtbackup.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.virtbackup.repository.ObjectStore;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository's objects in an S3 bucket, under its prefix. A put is one PUT (S3 writes an object
 * whole or not at all, durable once acknowledged, so there is nothing to sync); a pack is a
 * multipart upload ({@link MultipartObject}). Retries with backoff on 5xx and throttling are the
 * SDK's, configured on the client.
 */
final class S3ObjectStore implements ObjectStore {

    private final S3Client s3;
    private final S3Location at;
    private final Uploads uploads;
    private final String endpoint;
    /** The multipart uploads this store has under way: never a dead host's. */
    private final Set<String> ownUploads = ConcurrentHashMap.newKeySet();

    S3ObjectStore(S3Client s3, S3Location at, Uploads uploads, String endpoint) {
        this.s3 = s3;
        this.at = at;
        this.uploads = uploads;
        this.endpoint = endpoint;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        call(name, () -> s3.putObject(b -> b.bucket(at.bucket()).key(at.key(name)), MultipartObject.body(data, data.length)));
    }

    @Override
    public Optional<byte[]> get(String name) throws IOException {
        try {
            return Optional.of(call(name, () -> s3.getObjectAsBytes(b -> b.bucket(at.bucket()).key(at.key(name)))
                    .asByteArrayUnsafe()));
        } catch (MissingObject e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<byte[]> get(String name, long offset, int length) throws IOException {
        OptionalLong size = size(name);
        if (size.isEmpty()) {
            return Optional.empty();
        }
        byte[] part = new byte[(int) Math.max(0, Math.min(length, size.getAsLong() - offset))];
        return read(name, offset, part, part.length) < 0 ? Optional.empty() : Optional.of(part);
    }

    @Override
    public int read(String name, long offset, byte[] into, int length) throws IOException {
        if (length == 0) {
            return exists(name) ? 0 : -1;
        }
        String range = "bytes=" + offset + "-" + (offset + length - 1);
        try (ResponseInputStream<GetObjectResponse> in = call(name,
                () -> s3.getObject(b -> b.bucket(at.bucket()).key(at.key(name)).range(range)))) {
            if (offset != 0 && in.response().contentRange() == null) {
                // a server that ignores Range sends the object from its start: those bytes are not these
                throw new IOException(describe() + ": " + name + ": the server ignored the byte range asked for");
            }
            return in.readNBytes(into, 0, length);
        } catch (MissingObject e) {
            return -1;
        } catch (RangeNotSatisfiable e) {
            return 0; // the offset is at or past the end
        }
    }

    @Override
    public NewObject create(String name) {
        return new MultipartObject(s3, at.bucket(), at.key(name), uploads, ownUploads);
    }

    @Override
    public OptionalLong size(String name) throws IOException {
        return head(name).map(h -> OptionalLong.of(h.contentLength())).orElse(OptionalLong.empty());
    }

    /** Last-Modified: the server's clock, to the second. */
    @Override
    public Optional<Instant> modified(String name) throws IOException {
        return head(name).map(HeadObjectResponse::lastModified);
    }

    private Optional<HeadObjectResponse> head(String name) throws IOException {
        try {
            return Optional.of(call(name, () -> s3.headObject(b -> b.bucket(at.bucket()).key(at.key(name)))));
        } catch (MissingObject e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean exists(String name) throws IOException {
        return head(name).isPresent();
    }

    @Override
    public void delete(String name) throws IOException {
        call(name, () -> s3.deleteObject(b -> b.bucket(at.bucket()).key(at.key(name))));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> names = new ArrayList<>();
        forEach(prefix, names::add);
        return names;
    }

    /** Page by page (1,000 names each): a collection never holds all the names of a large repository. */
    @Override
    public void forEach(String prefix, Consumer<String> action) throws IOException {
        call(prefix + "*", () -> {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(at.bucket()).prefix(at.key(prefix))).contents()) {
                action.accept(at.name(o.key()));
            }
            return null;
        });
    }

    /**
     * Aborts the multipart uploads of this repository's packs (the only objects it uploads in
     * parts), other than this store's own, started longer ago than the age: what a host that died
     * mid-pack left. Their parts take space, and no listing of objects shows them. The age is the
     * server's start time against this host's clock after listing (s3proxy reports the time of
     * the listing as every upload's start); an hour's age leaves room for clocks that disagree.
     */
    @Override
    public int removeTemporaries(long olderThanMillis) throws IOException {
        return call("uploads", () -> {
            List<MultipartUpload> found = new ArrayList<>();
            s3.listMultipartUploadsPaginator(b -> b.bucket(at.bucket()).prefix(at.key("packs/"))).uploads().forEach(found::add);
            Instant before = Instant.now().minusMillis(olderThanMillis);
            int aborted = 0;
            for (MultipartUpload u : found) {
                if (!ownUploads.contains(u.uploadId()) && u.initiated() != null && !u.initiated().isAfter(before)) {
                    s3.abortMultipartUpload(b -> b.bucket(at.bucket()).key(u.key()).uploadId(u.uploadId()));
                    aborted++;
                }
            }
            return aborted;
        });
    }

    @Override
    public String describe() {
        return at + " (" + endpoint + ")";
    }

    /** Runs a request; failures as IOExceptions naming the object, a missing one as {@link MissingObject}. */
    private <T> T call(String name, Supplier<T> request) throws IOException {
        try {
            return request.get();
        } catch (NoSuchKeyException e) {
            throw new MissingObject();
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !"NoSuchBucket".equals(code(e))) {
                throw new MissingObject();
            }
            if (e.statusCode() == 416) {
                throw new RangeNotSatisfiable();
            }
            throw new IOException(describe() + ": " + name + ": " + code(e) + " (HTTP " + e.statusCode() + "): "
                    + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkException e) {
            throw new IOException(describe() + ": " + name + ": " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static String code(S3Exception e) {
        return e.awsErrorDetails() == null ? "?" : e.awsErrorDetails().errorCode();
    }

    /** No object of that name (HTTP 404 other than a missing bucket). */
    private static final class MissingObject extends IOException {
        private static final long serialVersionUID = 1L;

        MissingObject() {
            super("no such object");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // an expected answer, not a failure
        }
    }

    /** A range starting at or past the object's end (HTTP 416). */
    private static final class RangeNotSatisfiable extends IOException {
        private static final long serialVersionUID = 1L;

        RangeNotSatisfiable() {
            super("range not satisfiable");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
