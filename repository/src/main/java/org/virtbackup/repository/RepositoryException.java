package org.virtbackup.repository;

/** A repository cannot do what was asked; {@link #problem()} says why, the message says what to do. */
public final class RepositoryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Problem {
        /** The store holds no repository, or one of another format or version. */
        NOT_A_REPOSITORY,
        /** The repository is encrypted and no key was given, or a key was given to a plain one. */
        KEY_MISSING,
        /** The key is not the one the repository was made with, or the key file is unusable. */
        KEY_MISMATCH,
        /** An object is missing, fails its authentication tag or does not hash to its name. */
        DAMAGED,
        /** No such backup. */
        NOT_FOUND,
        /** The object store failed (disk full, permissions, network). */
        IO,
        /**
         * Another process holds the repository for what this one asked: a collection while
         * backups are written, or the other way round, for longer than the wait allowed; or this
         * process's lease lapsed.
         */
        BUSY
    }

    private final Problem problem;

    public RepositoryException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public RepositoryException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
