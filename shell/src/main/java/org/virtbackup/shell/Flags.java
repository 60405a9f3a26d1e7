package org.virtbackup.shell;

import java.util.EnumSet;
import java.util.Set;

/** Builds a flag set from a command's boolean options. */
final class Flags<E extends Enum<E>> {

    private final Set<E> set;

    private Flags(Class<E> type) {
        this.set = EnumSet.noneOf(type);
    }

    static <E extends Enum<E>> Flags<E> of(Class<E> type) {
        return new Flags<>(type);
    }

    Flags<E> with(boolean option, E flag) {
        if (option) {
            set.add(flag);
        }
        return this;
    }

    Set<E> set() {
        return set;
    }
}
