package org.virtbackup.impl.repository;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * A repository's URL: {@code file:///DIR} (an absolute directory) or {@code s3://BUCKET/PREFIX}
 * (object storage, through the endpoint configured for the bucket). Other schemes are refused
 * with {@code NOT_SUPPORTED}; credentials never go in a URL, which descriptors record.
 *
 * @param url the normalised URL, as the catalogue and the settings record it
 * @param directory the directory of a {@code file:} repository, null for object storage
 */
public record RepositoryUrl(String url, Path directory) {

    private static final String FORMS = "file:///DIR or s3://BUCKET/PREFIX";

    public static RepositoryUrl parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "no repository URL given (" + FORMS + ")");
        }
        if (text.strip().regionMatches(true, 0, "s3:", 0, 3) && text.contains("@")) {
            // not quoted: what precedes the '@' may be a secret, and an AWS secret key may hold '/'
            // (no bucket or prefix holds '@')
            throw new BackupException(ErrorCode.INVALID_TARGET, "repository URL: a URL carries no credentials: they "
                    + "belong to the endpoint's configuration (org.virtbackup.s3), never to a URL that descriptors record");
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "not a repository URL: '" + text + "' (" + e.getReason() + ")");
        }
        if ("s3".equals(uri.getScheme())) {
            return s3(text, uri);
        }
        if (!"file".equals(uri.getScheme())) {
            throw new BackupException(uri.getScheme() == null ? ErrorCode.INVALID_TARGET : ErrorCode.NOT_SUPPORTED,
                    "repository URL '" + text + "': repositories live in local directories or on S3 (" + FORMS + ")");
        }
        if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty() || uri.getQuery() != null
                || uri.getFragment() != null || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "repository URL '" + text
                    + "': a file URL names an absolute directory, without host, query or fragment (file:///DIR)");
        }
        Path dir = Path.of(uri.getPath()).normalize();
        return new RepositoryUrl("file://" + dir, dir);
    }

    private static RepositoryUrl s3(String text, URI uri) {
        if (uri.getRawUserInfo() != null) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "repository URL: an s3:// URL carries no credentials: "
                    + "they belong to the endpoint's configuration (org.virtbackup.s3), never to a URL that descriptors record");
        }
        if (uri.getHost() == null || uri.getPort() != -1 || uri.getQuery() != null || uri.getFragment() != null) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "repository URL '" + text
                    + "': an s3 URL names a bucket and a prefix, without port, query or fragment (s3://BUCKET/PREFIX)");
        }
        String prefix = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+", "").replaceAll("/+$", "");
        return new RepositoryUrl("s3://" + uri.getHost() + (prefix.isEmpty() ? "" : "/" + prefix), null);
    }

    /** Whether the repository is a local directory. */
    public boolean local() {
        return directory != null;
    }

    public URI uri() {
        return URI.create(url);
    }
}
