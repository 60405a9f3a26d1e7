# shellcheck shell=bash
# Sourced by the scripts: Karaf 4.4 does not start on Java 25, so use a JDK 17, and tell Karaf's
# scripts where it is (they warn without JAVA_HOME).
if [[ -z ${JAVA_HOME:-} ]] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "17'; then
    for jdk in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/temurin-17*; do
        if [[ -x $jdk/bin/javac ]]; then # a JDK: Maven compiles
            export JAVA_HOME=$jdk PATH=$jdk/bin:$PATH
            break
        fi
    done
fi
if ! "${JAVA_HOME:-/nonexistent}/bin/java" -version 2>&1 | grep -q 'version "17'; then
    printf 'java-env: no JDK 17 found (Karaf 4.4 needs it); run scripts/setup-host.sh as root, or set JAVA_HOME\n' >&2
    return 1 2>/dev/null || exit 1
fi
