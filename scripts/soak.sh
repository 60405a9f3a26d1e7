#!/usr/bin/env bash
# The soak: many create/delete cycles against our Karaf and one small real guest, then what the
# service holds before and after. Outside the test run (it takes a while); run as root on Debian 12.
#
#   scripts/soak.sh [CYCLES]     default 1000; each cycle makes and deletes a managed full backup,
#                                a managed incremental on it, and an NBD export (an unmanaged
#                                backup) that is read and finished
#
# It prints, before the first cycle and after the last (after 70 s of rest: the cached thread pools of finished shell sessions empty after 60 s), the Karaf JVM's
# threads, open file descriptors and child processes, the guest's libvirt checkpoints, the files
# under the backup target and the runtime directory, and the cycles' timing. Exit 1 if any count
# grew (threads get a margin of 5 for pools that size themselves, descriptors 2 for jars and logs
# opened on demand), or a cycle failed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cycles=${1:-1000}
[[ $cycles =~ ^[0-9]+$ ]] || { echo "usage: scripts/soak.sh [CYCLES]" >&2; exit 2; }

scripts/setup-host.sh
source scripts/java-env.sh
source scripts/lib-guest.sh
source scripts/lib-karaf.sh
karaf_prepare

say() { printf 'soak: %s\n' "$*"; }
work=$(mktemp -d /var/tmp/virt-backup-soak.XXXXXX)
chmod 0711 "$work"
name=vb-soak-$(basename "$work" | tr -dc 'a-zA-Z0-9' | tail -c 6)
cleanup() {
    guest_destroy "$name" || true
    if [[ ${STARTED_KARAF:-no} == yes ]]; then
        karaf_stop "$KARAF" "${KARAF_PID:-}"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

karaf_start_and_wait
pid=$(cat "$KARAF/karaf.pid")
port=$(sed -n 's/^sshPort *= *//p' "$KARAF/etc/org.apache.karaf.shell.cfg")
# OpenSSH's client: a tenth of a second a command, where bin/client starts a JVM each time.
cmd() {
    ssh -n -p "$port" -i "$ADMIN_KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR karaf@127.0.0.1 "$1" 2>/dev/null | tr -d '\r' | sed 's/\x1b\[[0-9;]*m//g'
    return "${PIPESTATUS[0]}"
}
last_uuid() { grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' | tail -n 1; }

guest_create "$name" "$work/disk.qcow2" 64M >/dev/null
guest_write "$name" 0x5a 0 4M
target=$(sed -n 's/^target.directory *= *//p' "$KARAF/etc/org.virtbackup.cfg" 2>/dev/null || true)
target=${target:-$KARAF/data/virt-backup}
target=${target//\$\{karaf.data\}/$KARAF/data}
runtime=/run/virt-backup

counts() {
    printf '%s %s %s %s %s %s\n' \
        "$(ls "/proc/$pid/task" | wc -l)" \
        "$(ls "/proc/$pid/fd" | wc -l)" \
        "$(pgrep -P "$pid" | wc -l)" \
        "$(virsh -q -c qemu:///system checkpoint-list "$name" --name 2>/dev/null | grep -c . || true)" \
        "$(find "$target" -type f 2>/dev/null | wc -l)" \
        "$(find "$runtime" -mindepth 1 2>/dev/null | wc -l)"
}
cycle() {
    local full inc export uri
    full=$(cmd "backup:create --wait --full $name" | last_uuid) || return 1
    guest_write "$name" 0x6b 8M 1M || return 1 # called under ||: errexit is off in here
    inc=$(cmd "backup:create --wait --incremental $name" | last_uuid) || return 1
    out=$(cmd "backup:export --incremental $name") || return 1
    export=$(printf '%s\n' "$out" | last_uuid)
    uri=$(printf '%s\n' "$out" | sed -n 's/^ *vda *\(nbd[^ ]*\).*/\1/p')
    nbdinfo --size "$uri" >/dev/null || return 1
    cmd "backup:finish $export" >/dev/null || return 1
    cmd "backup:delete $export" >/dev/null || return 1
    cmd "backup:delete $inc" >/dev/null || return 1
    cmd "backup:delete $full" >/dev/null || return 1
}

say "warming up (3 cycles), then $cycles cycles on guest $name; Karaf pid $pid"
for _ in 1 2 3; do cycle || { say "a warm-up cycle failed; see $KARAF/data/log/karaf.log"; exit 1; }; done
sleep 70 # idle threads of finished shell sessions (cached pools) end after 60 s
read -r t0 f0 c0 k0 n0 s0 < <(counts)
start=$(date +%s)
for ((i = 1; i <= cycles; i++)); do
    if ! cycle; then
        say "cycle $i failed; see $KARAF/data/log/karaf.log"
        exit 1
    fi
    ((i % 100 == 0)) && say "$i cycles, $(( $(date +%s) - start )) s"
done
elapsed=$(( $(date +%s) - start ))
sleep 70 # idle threads of finished shell sessions (cached pools) end after 60 s
read -r t1 f1 c1 k1 n1 s1 < <(counts)
printf '\n| after %d cycles (%d creates, %d deletes, %d s) | before | after |\n|---|---|---|\n' \
    "$cycles" $((3 * cycles)) $((3 * cycles)) "$elapsed"
printf '| Karaf threads | %s | %s |\n| open file descriptors | %s | %s |\n| child processes | %s | %s |\n' \
    "$t0" "$t1" "$f0" "$f1" "$c0" "$c1"
printf '| libvirt checkpoints of the guest | %s | %s |\n| files under the target | %s | %s |\n| entries in %s | %s | %s |\n' \
    "$k0" "$k1" "$n0" "$n1" "$runtime" "$s0" "$s1"
if ((t1 > t0 + 5 || f1 > f0 + 2 || c1 > c0 || k1 > k0 || n1 > n0 || s1 > s0)); then
    say "GROWTH: something the service holds grew; its threads by name (digits as N):"
    jcmd "$pid" Thread.print 2>/dev/null | sed -n 's/^"\([^"]*\)".*/\1/p' | sed 's/[0-9]\+/N/g' | sort | uniq -c \
        | sort -rn | head -n 15
    exit 1
fi
say "OK: no growth"
