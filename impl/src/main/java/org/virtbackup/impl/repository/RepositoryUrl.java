package org.virtbackup.impl.repository;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * A repository's URL: {@code file:///DIR} (an absolute directory). The URL form leaves room for
 * object storage; this version refuses other schemes with {@code NOT_SUPPORTED}.
 *
 * @param url the normalised URL, as the catalogue and the settings record it
 * @param directory the directory of a {@code file:} repository
 */
public record RepositoryUrl(String url, Path directory) {

    public static RepositoryUrl parse(String text) {
        if (text == null || text.isBlank()) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "no repository URL given (file:///DIR)");
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "not a repository URL: '" + text + "' (" + e.getMessage() + ")");
        }
        if (!"file".equals(uri.getScheme())) {
            throw new BackupException(uri.getScheme() == null ? ErrorCode.INVALID_TARGET : ErrorCode.NOT_SUPPORTED,
                    "repository URL '" + text + "': this version keeps repositories in local directories only "
                            + "(file:///DIR)");
        }
        if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty() || uri.getQuery() != null
                || uri.getFragment() != null || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new BackupException(ErrorCode.INVALID_TARGET, "repository URL '" + text
                    + "': a file URL names an absolute directory, without host, query or fragment (file:///DIR)");
        }
        Path dir = Path.of(uri.getPath()).normalize();
        return new RepositoryUrl("file://" + dir, dir);
    }
}
