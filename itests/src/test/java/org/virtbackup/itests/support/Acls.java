package org.virtbackup.itests.support;

import java.nio.file.Path;
import java.util.List;

/** The POSIX ACL of a file as {@code getfacl} shows it (package acl). */
public final class Acls {

    private Acls() {
    }

    /** The entries naming a user or group ({@code user:libvirt-qemu:--x}), mask and base entries left out. */
    public static List<String> named(Path file) {
        return Cmd.ok("getfacl", "--omit-header", "--absolute-names", file.toString()).lines().map(String::strip)
                .filter(l -> l.matches("(user|group):[^:]+:.*")).toList();
    }
}
