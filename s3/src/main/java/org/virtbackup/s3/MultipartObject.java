package org.virtbackup.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.virtbackup.repository.ObjectStore;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * An object written piece by piece (a pack): parts of {@link Uploads#partSize} bytes go up while
 * the next fills, as a multipart upload that is completed on commit (the object appears whole
 * then, never before) and aborted on close if uncommitted. An object smaller than one part is a
 * single PUT.
 */
final class MultipartObject implements ObjectStore.NewObject {

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final Uploads uploads;
    private final Set<String> ongoing;
    private final List<Future<CompletedPart>> parts = new ArrayList<>();
    private byte[] part;
    private int filled;
    private long size;
    private String uploadId;
    private boolean committed;

    MultipartObject(S3Client s3, String bucket, String key, Uploads uploads, Set<String> ongoing) {
        this.s3 = s3;
        this.ongoing = ongoing;
        this.bucket = bucket;
        this.key = key;
        this.uploads = uploads;
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        while (length > 0) {
            if (part == null) {
                part = new byte[uploads.partSize()];
            }
            int n = Math.min(length, part.length - filled);
            System.arraycopy(data, offset, part, filled, n);
            filled += n;
            size += n;
            offset += n;
            length -= n;
            if (filled == part.length) {
                send();
            }
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void commit() throws IOException {
        try {
            if (uploadId == null) {
                s3.putObject(b -> b.bucket(bucket).key(key), body(part == null ? new byte[0] : part, filled));
            } else {
                if (filled > 0) {
                    send();
                }
                List<CompletedPart> done = new ArrayList<>();
                for (Future<CompletedPart> f : parts) {
                    done.add(f.get());
                }
                done.sort(Comparator.comparing(CompletedPart::partNumber));
                s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                        .multipartUpload(u -> u.parts(done)));
                ongoing.remove(uploadId);
            }
            committed = true;
        } catch (SdkException e) {
            throw new IOException("s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        } catch (ExecutionException e) {
            throw new IOException("s3://" + bucket + "/" + key + ": a part failed: " + e.getCause().getMessage(), e.getCause());
        } catch (CancellationException e) {
            throw new IOException("s3://" + bucket + "/" + key + ": a part was cancelled (the endpoint was stopped)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted writing s3://" + bucket + "/" + key);
        }
    }

    /** Uploads the part filled so far (the upload is started with the first) and starts a new one. */
    private void send() throws IOException {
        try {
            if (uploadId == null) {
                uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
                ongoing.add(uploadId);
            }
            int number = parts.size() + 1;
            byte[] body = part;
            int length = filled;
            String id = uploadId;
            parts.add(uploads.submit(() -> {
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(id).partNumber(number)
                        .contentLength((long) length), body(body, length))
                        .eTag();
                return CompletedPart.builder().partNumber(number).eTag(etag).build();
            }));
            part = null;
            filled = 0;
        } catch (SdkException e) {
            throw new IOException("s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted writing s3://" + bucket + "/" + key);
        }
    }

    /**
     * The first {@code length} bytes of the array, read in place by each attempt: the SDK's
     * fromBytes and fromByteBuffer copy the array, which doubled the heap the parts in flight take.
     */
    static RequestBody body(byte[] data, int length) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length,
                "application/octet-stream");
    }

    @Override
    public void close() throws IOException {
        if (committed || uploadId == null) {
            return;
        }
        for (Future<CompletedPart> f : parts) {
            try {
                f.get();
            } catch (ExecutionException | CancellationException e) {
                // abandoned anyway
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            // what is left is aborted by a later collection (S3ObjectStore.removeTemporaries)
            throw new IOException("s3://" + bucket + "/" + key + ": the upload could not be aborted (a collection will): "
                    + e.getMessage(), e);
        } finally {
            ongoing.remove(uploadId); // no longer ours: a collection may abort it
        }
    }
}
