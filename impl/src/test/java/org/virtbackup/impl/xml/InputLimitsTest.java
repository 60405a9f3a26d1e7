package org.virtbackup.impl.xml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.virtbackup.api.BackupException;
import org.virtbackup.api.ErrorCode;

class InputLimitsTest {

    private static String refused(Runnable call) {
        BackupException e = assertThrows(BackupException.class, call::run);
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void xmlIsMeasuredInUtf8Bytes() {
        InputLimits limits = new InputLimits(10);
        limits.requireXmlSize("the backup XML", "<a>12</a>");
        limits.requireXmlSize("the backup XML", null);
        String why = refused(() -> limits.requireXmlSize("the backup XML", "<a>ééé</a>"));
        assertEquals("the backup XML has 13 bytes, more than the 10 that xml.max.bytes allows; nothing was read", why);
    }

    @Test
    void descriptionsAreBoundedAndXmlSafe() {
        InputLimits.requireDescription("nightly ✓ 🙂\ttab");
        InputLimits.requireDescription("x".repeat(InputLimits.DESCRIPTION_MAX));
        assertTrue(refused(() -> InputLimits.requireDescription("x".repeat(InputLimits.DESCRIPTION_MAX + 1)))
                .contains("at most 4096"));
        assertEquals("the description holds the control character U+0001 at character 2, which XML cannot carry",
                refused(() -> InputLimits.requireDescription("ab\u0001")));
        assertTrue(refused(() -> InputLimits.requireDescription("ok\uD83D")).contains("unpaired surrogate"));
    }

    /** A backup described as a policy's is pruned by it: only that policy may describe one so. */
    @Test
    @SuppressWarnings("removal")
    void onlyAPolicyDescribesABackupAsItsOwn() {
        org.virtbackup.api.BackupException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.virtbackup.api.BackupException.class, () -> InputLimits.requireDescription("policy nightly"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("name the backups a policy makes"));
        InputLimits.requireDescription("nightly policy, by hand");
        InputLimits.requireDescription("policy review before the upgrade"); // no policy's name
        javax.security.auth.Subject role = new javax.security.auth.Subject();
        role.getPrincipals().add(new org.apache.karaf.jaas.boot.principal.RolePrincipal("policy:nightly"));
        javax.security.auth.Subject.doAs(role, (java.security.PrivilegedAction<Void>) () -> {
            org.junit.jupiter.api.Assertions.assertThrows(org.virtbackup.api.BackupException.class,
                    () -> InputLimits.requireDescription("policy nightly"), "a role of the name is not the policy");
            return null;
        });
        javax.security.auth.Subject nightly = new javax.security.auth.Subject();
        nightly.getPrincipals().add(new org.apache.karaf.jaas.boot.principal.UserPrincipal("policy:nightly"));
        javax.security.auth.Subject.doAs(nightly, (java.security.PrivilegedAction<Void>) () -> {
            InputLimits.requireDescription("policy nightly");
            org.junit.jupiter.api.Assertions.assertThrows(org.virtbackup.api.BackupException.class,
                    () -> InputLimits.requireDescription("policy weekly"), "not another policy's either");
            return null;
        });
    }
}
