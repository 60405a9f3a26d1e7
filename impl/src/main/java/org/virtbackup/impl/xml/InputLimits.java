package org.virtbackup.impl.xml;

import java.nio.charset.StandardCharsets;
import java.security.AccessController;
import java.security.Principal;
import java.util.regex.Pattern;

import javax.security.auth.Subject;

import org.apache.karaf.jaas.boot.principal.UserPrincipal;

import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

/**
 * What callers may hand the service, checked before anything is parsed or written: XML
 * documents up to a configured size ({@code xml.max.bytes}), descriptions up to
 * {@value #DESCRIPTION_MAX} characters, text that XML 1.0 can hold (no control characters, no
 * unpaired surrogates: what Java strings carry where a caller decoded bytes that were not UTF-8).
 */
public final class InputLimits {

    public static final int DESCRIPTION_MAX = 4096;

    /**
     * How the backups of policy NAME are described, and how its retention knows its own: a
     * description of this form is taken only from that policy (its runs call as user
     * {@code policy:NAME}), so a backup made by hand is never a policy's to prune.
     */
    public static final String POLICY_PREFIX = "policy ";

    /** What a policy's name may be. */
    public static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final long xmlMaxBytes;

    public InputLimits(long xmlMaxBytes) {
        this.xmlMaxBytes = xmlMaxBytes;
    }

    /** {@code INVALID_ARGUMENT} when the document is larger than {@code xml.max.bytes} in UTF-8. */
    public void requireXmlSize(String what, String xml) {
        if (xml == null) {
            return;
        }
        long bytes = xml.length() > xmlMaxBytes ? xml.length() : xml.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > xmlMaxBytes) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, what + " has " + bytes + " bytes, more than the "
                    + xmlMaxBytes + " that xml.max.bytes allows; nothing was read");
        }
    }

    /** {@code INVALID_ARGUMENT} for a description that is too long or holds what XML cannot. */
    public static void requireDescription(String description) {
        if (description == null) {
            return;
        }
        if (description.length() > DESCRIPTION_MAX) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "the description has " + description.length()
                    + " characters; at most " + DESCRIPTION_MAX + " are kept");
        }
        requireText("the description", description);
        String policy = description.startsWith(POLICY_PREFIX) ? description.substring(POLICY_PREFIX.length()) : "";
        if (POLICY_NAME.matcher(policy).matches() && !calledBy("policy:" + policy)) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "descriptions starting with '" + POLICY_PREFIX
                    + "' name the backups a policy makes, which its retention prunes; describe this one otherwise");
        }
    }

    /** Whether the caller runs as this user (a user principal, not a role or group of the name). */
    @SuppressWarnings("removal") // Karaf's guard and our policies pass the caller as the access control context's Subject
    private static boolean calledBy(String user) {
        Subject s = Subject.getSubject(AccessController.getContext());
        return s != null && s.getPrincipals(UserPrincipal.class).stream().map(Principal::getName).anyMatch(user::equals);
    }

    /** {@code INVALID_ARGUMENT} naming the first character XML 1.0 cannot hold, and where it is. */
    private static void requireText(String what, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, what + " is not valid Unicode at character " + i
                        + ": an unpaired surrogate (was it decoded from bytes that are not UTF-8?)");
            } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0xFFFE || c == 0xFFFF) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, what + " holds the control character U+"
                        + String.format("%04X", (int) c) + " at character " + i + ", which XML cannot carry");
            }
        }
    }
}
