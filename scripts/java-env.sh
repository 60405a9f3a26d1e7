# shellcheck shell=bash
# Sourced by the scripts: Karaf 4.4 does not start on Java 25, so pin a JDK 17 when the
# default java is another version.
if ! java -version 2>&1 | grep -q 'version "17'; then
    for jdk in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-*; do
        if [[ -x $jdk/bin/java ]]; then
            export JAVA_HOME=$jdk PATH=$jdk/bin:$PATH
            break
        fi
    done
fi
