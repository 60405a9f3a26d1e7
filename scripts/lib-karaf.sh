# shellcheck shell=bash
# Our Karaf distribution for scripts: built when missing or stale, with an administrator key.
#
#   source scripts/lib-karaf.sh      (from the project root, after scripts/java-env.sh)
#   karaf_prepare [yes]              builds (always with "yes"), makes the key; sets KARAF, ADMIN_KEY
#   karaf_client "backup:list"       runs a command as the administrator
#   karaf_start_and_wait             starts Karaf unless it runs, waits for backup:list; sets STARTED_KARAF
#   karaf_stop HOME PID              stops the Karaf in HOME that runs as PID, and waits until it has

karaf_prepare() {
    local build=${1:-no}
    KARAF=$PWD/distribution/target/assembly
    # Build when asked, when there is no distribution yet, or when a source is newer than it.
    if [[ $build == no && -x $KARAF/bin/karaf ]] \
        && [[ -n $(find api repository s3 impl shell features distribution pom.xml bnd.bnd -newer "$KARAF/bin/karaf" \
                     -type f -not -path '*/target/*' -print -quit) ]]; then
        build=yes
    fi
    if [[ $build == yes || ! -x $KARAF/bin/karaf ]] && "$KARAF/bin/status" >/dev/null 2>&1; then
        # A new assembly under a running Karaf would replace its files and its pid file.
        echo "the Karaf in $KARAF runs: stop it first ($KARAF/bin/stop), then run this again" >&2
        return 1
    fi
    if [[ $build == yes || ! -x $KARAF/bin/karaf ]]; then
        echo "building the distribution (mvn install -DskipTests)"
        mvn -B -q -ntp install -DskipTests
        touch "$KARAF/bin/karaf"
    fi
    # No known login: the distribution ships no user. The console's administrator, karaf, logs in
    # with a key made here for this installation (again after every build, which makes a new assembly).
    ADMIN_KEY=$KARAF/etc/virt-backup-admin.key
    if [[ ! -s $ADMIN_KEY ]] || ! grep -q '^karaf=' "$KARAF/etc/keys.properties"; then
        rm -f "$ADMIN_KEY" "$ADMIN_KEY.pub"
        (umask 077 && ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C virt-backup-admin -f "$ADMIN_KEY")
        sed -i '/^karaf=/d' "$KARAF/etc/keys.properties"
        printf 'karaf=%s,_g_:admingroup\n' "$(cut -d' ' -f2 "$ADMIN_KEY.pub")" >>"$KARAF/etc/keys.properties"
        chmod 600 "$KARAF/etc/keys.properties"
        rm -f "$ADMIN_KEY.pub"
    fi
}

# bin/client cancels a command given as argument when stdin is at EOF: feed it on stdin.
karaf_client() { printf '%s\n' "$1" | "$KARAF/bin/client" -u karaf -k "$ADMIN_KEY" -b; }

karaf_start_and_wait() {
    STARTED_KARAF=no
    if ! "$KARAF/bin/status" >/dev/null 2>&1; then
        rm -f "$KARAF/karaf.pid" # Karaf leaves it behind: a stale one would name another process
        "$KARAF/bin/start"
        STARTED_KARAF=yes
        karaf_await_pid "$KARAF" || return 1
        KARAF_PID=$AWAITED_PID
    fi
    local i
    for ((i = 0; i < 120; i++)); do
        if karaf_client "backup:list" >/dev/null 2>&1; then
            return 0
        fi
        sleep 2
    done
    echo "Karaf did not offer backup:list within 240 s; see $KARAF/data/log/karaf.log" >&2
    return 1
}

# Sets AWAITED_PID to the pid the Karaf in HOME wrote (bin/start returns before it has).
karaf_await_pid() {
    local home=$1 i
    for ((i = 0; i < 100; i++)); do
        AWAITED_PID=$(cat "$home/karaf.pid" 2>/dev/null || true)
        [[ $AWAITED_PID =~ ^[0-9]+$ ]] && return 0
        sleep 0.2
    done
    echo "the Karaf in $home wrote no karaf.pid within 20 s" >&2
    return 1
}

# bin/stop only asks: wait for that very process to end (60 s), then kill it, so that no JVM is
# left holding ports, files and libvirt connections when the caller removes its home.
karaf_stop() {
    local home=$1 pid=$2 i
    "$home/bin/stop" >/dev/null 2>&1 || true
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    # That pid is this Karaf's, not a process that took the number since.
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "-Dkaraf.home=$home" || return 0
    for ((i = 0; i < 300; i++)); do
        [[ -d /proc/$pid ]] || return 0
        sleep 0.2
    done
    echo "the Karaf in $home (pid $pid) did not stop within 60 s: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}
