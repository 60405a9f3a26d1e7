package org.virtbackup.api;

import java.util.Objects;

/** Every failure of {@link BackupService}: a message for people and a code for programs. */
public class BackupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public BackupException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public BackupException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
