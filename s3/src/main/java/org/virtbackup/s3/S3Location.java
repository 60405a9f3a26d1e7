package org.virtbackup.s3;

import java.net.URI;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Where a repository lives in object storage: {@code s3://BUCKET/PREFIX}, its objects named
 * {@code PREFIX/NAME} (or {@code NAME} without a prefix). Credentials never go in the URL: they
 * belong to the endpoint's configuration, and a URL is recorded in descriptors and shown.
 *
 * @param bucket the bucket, as S3 names them (3 to 63 of lower-case letters, digits, '.', '-')
 * @param prefix the key prefix without a trailing '/', or empty
 */
record S3Location(String bucket, String prefix) {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern PREFIX = Pattern.compile("([A-Za-z0-9._-]+)(/[A-Za-z0-9._-]+)*");

    static S3Location of(URI url) {
        if (!"s3".equals(url.getScheme())) {
            throw new IllegalArgumentException("not an s3:// URL: " + url);
        }
        if (url.getRawUserInfo() != null) {
            throw new IllegalArgumentException("an s3:// URL carries no credentials (they belong to the endpoint's "
                    + "configuration, org.virtbackup.s3): s3://BUCKET/PREFIX");
        }
        String bucket = url.getHost();
        if (bucket == null || !BUCKET.matcher(bucket).matches() || url.getPort() != -1) {
            throw new IllegalArgumentException("s3:// URL '" + url + "': no valid bucket name after s3:// "
                    + "(3 to 63 lower-case letters, digits, '.' and '-')");
        }
        if (url.getQuery() != null || url.getFragment() != null) {
            throw new IllegalArgumentException("s3:// URL '" + url + "': no query or fragment (s3://BUCKET/PREFIX)");
        }
        String path = url.getPath() == null ? "" : url.getPath();
        String prefix = path.replaceAll("^/+", "").replaceAll("/+$", "");
        if (!prefix.isEmpty() && (!PREFIX.matcher(prefix).matches()
                || Arrays.stream(prefix.split("/")).anyMatch(p -> p.equals(".") || p.equals("..")))) {
            throw new IllegalArgumentException("s3:// URL '" + url + "': the prefix is '/'-separated names of letters, "
                    + "digits, '.', '-' and '_', without '.' or '..' parts");
        }
        return new S3Location(bucket, prefix);
    }

    /** The key of an object of the repository. */
    String key(String name) {
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The object's name of a key under {@link #keyPrefix}. */
    String name(String key) {
        return key.substring(keyPrefix().length());
    }

    /** What every key of the repository starts with. */
    String keyPrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    @Override
    public String toString() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
