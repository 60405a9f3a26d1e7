package org.virtbackup.impl.policy;

import java.security.PrivilegedAction;
import java.util.List;

import javax.security.auth.Subject;

import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;

/**
 * Who a policy acts as. Karaf's service guard lets nobody without a role call the backup service;
 * a policy acts for the administrator who configured it (configurations take the admin role), so
 * it runs as user {@code policy:NAME} with the roles our ACLs name, {@code admin} and
 * {@code viewer} (Karaf's roles do not imply each other). Without the guard this changes nothing.
 */
final class PolicySubject {

    static final List<String> ROLES = List.of("admin", "viewer");

    private PolicySubject() {
    }

    static Subject of(String policy) {
        Subject s = new Subject();
        s.getPrincipals().add(new UserPrincipal("policy:" + policy));
        ROLES.forEach(role -> s.getPrincipals().add(new RolePrincipal(role)));
        s.setReadOnly();
        return s;
    }

    /** Runs the work as the subject, in this thread. */
    @SuppressWarnings("removal") // Subject.doAs is what Karaf's guard reads (Subject.getSubject) on Java 17
    static void run(Subject subject, Runnable work) {
        Subject.doAs(subject, (PrivilegedAction<Void>) () -> {
            work.run();
            return null;
        });
    }
}
